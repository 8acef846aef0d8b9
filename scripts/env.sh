# The one place that says where the local brokers (and PostgreSQL) listen and which librdkafka runs.
# Source it: `source scripts/env.sh`. Every value can be overridden from the environment.
export FERRY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export FERRY_TOOLS=${FERRY_TOOLS:-$FERRY_ROOT/.tools}
export FERRY_TANSU=$FERRY_TOOLS/bin/tansu
export FERRY_KAFKA_PORT=${FERRY_KAFKA_PORT:-9092}
export FERRY_AMQP_PORT=${FERRY_AMQP_PORT:-5672}
export FERRY_AMQPS_PORT=${FERRY_AMQPS_PORT:-5671}
export FERRY_AMQP_MANAGEMENT_PORT=${FERRY_AMQP_MANAGEMENT_PORT:-15672}
export FERRY_AMQPS_MANAGEMENT_PORT=${FERRY_AMQPS_MANAGEMENT_PORT:-15671}
export FERRY_REDIS_PORT=${FERRY_REDIS_PORT:-6379}
export FERRY_POSTGRES_PORT=${FERRY_POSTGRES_PORT:-5432}
# PostgreSQL refuses to run as root: as root, its cluster runs as the `postgres` user, in a
# directory that user can reach.
export FERRY_POSTGRES_DIR=${FERRY_POSTGRES_DIR:-${TMPDIR:-/tmp}/ferry-postgres-$FERRY_POSTGRES_PORT}
export FERRY_KAFKA_URL=${FERRY_KAFKA_URL:-kafka://127.0.0.1:$FERRY_KAFKA_PORT}
export FERRY_AMQP_URL=${FERRY_AMQP_URL:-amqp://guest:guest@127.0.0.1:$FERRY_AMQP_PORT/%2F}
export FERRY_AMQPS_URL=${FERRY_AMQPS_URL:-amqps://guest:guest@localhost:$FERRY_AMQPS_PORT/%2F?cacert=$FERRY_TOOLS/run/rabbitmq/tls/ca.pem&management-port=$FERRY_AMQPS_MANAGEMENT_PORT}
export FERRY_REDIS_URL=${FERRY_REDIS_URL:-redis://127.0.0.1:$FERRY_REDIS_PORT}
export FERRY_POSTGRES_URL=${FERRY_POSTGRES_URL:-postgres://ferry:ferry@127.0.0.1:$FERRY_POSTGRES_PORT/ferry?sslmode=disable}
# Debian's librdkafka 2.0.2 cannot talk to Tansu; the 2.16 runtime from PyPI goes first.
case ":${LD_LIBRARY_PATH:-}:" in
  *":$FERRY_TOOLS/lib:"*) ;;
  *) export LD_LIBRARY_PATH=$FERRY_TOOLS/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ;;
esac
