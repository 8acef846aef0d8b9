// rabbitmq-c 0.11 (Debian's librabbitmq-dev): headers sit at the top of the include path.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>
