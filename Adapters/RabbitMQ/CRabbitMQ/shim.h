// rabbitmq-c 0.11 (Debian's librabbitmq-dev): headers sit at the top of the include path.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>

/// amqp_login is variadic (unavailable in Swift): PLAIN login with a user and password.
static inline amqp_rpc_reply_t ferry_amqp_login_plain(amqp_connection_state_t state, const char *vhost,
                                                      int frame_max, int heartbeat,
                                                      const char *user, const char *password) {
    return amqp_login(state, vhost, 0, frame_max, heartbeat, AMQP_SASL_METHOD_PLAIN, user, password);
}

/// Exported by librabbitmq but declared only in its private header: decodes a field table from
/// the wire, as a delivery's headers are. Used by the fuzz target for received tables.
int amqp_decode_table(amqp_bytes_t encoded, amqp_pool_t *pool, amqp_table_t *output, size_t *offset);
