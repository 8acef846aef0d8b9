// librdkafka as Debian packages it (2.0.2 headers). The runtime may be newer (see scripts/env.sh):
// call only what these headers declare.
#include <librdkafka/rdkafka.h>

/// rd_kafka_producev is variadic (unavailable in Swift): one non-blocking produce of a copied
/// key and value, with headers whose ownership passes to librdkafka on success. A timestamp of
/// 0 means now; a partition of RD_KAFKA_PARTITION_UA lets the partitioner choose.
static inline rd_kafka_resp_err_t ferry_rd_kafka_produce(rd_kafka_t *rk, const char *topic,
                                                         int32_t partition,
                                                         const void *key, size_t key_len,
                                                         const void *value, size_t value_len,
                                                         int64_t timestamp_ms,
                                                         rd_kafka_headers_t *headers, void *opaque) {
    return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
                             RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_HEADERS(headers),
                             RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
}
