// OpenSSL 3 (Debian's libssl-dev, which librabbitmq-dev depends on), for the RabbitMQ
// management API over HTTPS.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/// SSL_set_tlsext_host_name is a macro (unavailable in Swift): the name sent for SNI.
static inline int ferry_ssl_set_sni(SSL *ssl, const char *name) { return (int)SSL_set_tlsext_host_name(ssl, name); }
