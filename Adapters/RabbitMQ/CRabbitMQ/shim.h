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
