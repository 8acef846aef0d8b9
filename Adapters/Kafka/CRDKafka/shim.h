// librdkafka as Debian packages it (2.0.2 headers). The runtime may be newer (see scripts/env.sh):
// call only what these headers declare.
#include <librdkafka/rdkafka.h>
