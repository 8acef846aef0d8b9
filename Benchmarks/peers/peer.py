"""The benchmark's workloads with the Python clients users would reach for instead of Ferry:
confluent-kafka, pika and redis-py. Same settings as the raw and Ferry runs; prints one JSON
object: {"rate": events/s} or {"samples": [microseconds...]}.

    python peer.py BROKER WORKLOAD TARGET --url URL --headers JSON [--events N --payload BYTES --batch B
                   --prefetch K --group G --samples M]

--headers are the headers (Kafka, AMQP) or fields (Redis) Ferry writes with each event, so that
the peer moves the same bytes. Kafka delivery is awaited by polling, as the raw loop does, so
linger.ms applies to everyone alike.
"""
import argparse
import json
import sys
import time


def payload(size):
    text = '{"orderId":"o-000000","note":"' + "x" * max(0, size - 40) + '"}'
    return text.encode()[:size]


def kafka(args):
    from confluent_kafka import Consumer, Producer

    servers = args.url.split("://", 1)[1]
    producer_conf = {"bootstrap.servers": servers, "enable.idempotence": True, "acks": "all", "linger.ms": 5,
                     "message.timeout.ms": 60000, "queue.buffering.max.messages": 100000}
    body = payload(args.payload)
    headers = [(name, value.encode()) for name, value in args.headers.items()]
    done, failed = [0], []

    def report(err, _msg):
        done[0] += 1
        if err:
            failed.append(err)

    def send(count):
        target = done[0] + count
        for _ in range(count):
            producer.produce(args.target, body, key="order-0", headers=headers, on_delivery=report)
        while done[0] < target:
            producer.poll(0.001)

    if args.workload in ("publish", "latency"):
        producer = Producer(producer_conf)
        send(1)  # warm-up, as every contender: not timed
    if args.workload == "publish":
        start = time.perf_counter()
        sent = 0
        while sent < args.events:
            count = min(args.batch, args.events - sent)
            send(count)
            sent += count
        assert not failed, failed[:3]
        return {"rate": args.events / (time.perf_counter() - start)}
    if args.workload == "latency":
        samples = []
        for _ in range(args.samples):
            start = time.perf_counter()
            send(1)
            samples.append((time.perf_counter() - start) * 1e6)
        return {"samples": samples}
    consumer = Consumer({"bootstrap.servers": servers, "group.id": args.group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": True, "auto.commit.interval.ms": 1000, "enable.auto.offset.store": False,
                         "session.timeout.ms": 6000, "heartbeat.interval.ms": 500, "fetch.wait.max.ms": 100})
    consumer.subscribe([args.target])
    seen, start = 0, None
    while seen < args.events:
        for message in consumer.consume(num_messages=args.prefetch, timeout=0.1):
            if message.error():
                continue
            start = start or time.perf_counter()
            consumer.store_offsets(message)
            seen += 1
    rate = args.events / (time.perf_counter() - start)
    consumer.close()
    return {"rate": rate}


def rabbitmq(args):
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(args.url))
    channel = connection.channel()
    body = payload(args.payload)
    headers = dict(args.headers)
    properties = pika.BasicProperties(
        delivery_mode=2, content_type=headers.pop("content-type", None), message_id=headers.get("ce-id", headers.get("cloudEvents:id")),
        timestamp=int(time.time()), headers=headers)
    if args.workload in ("publish", "latency"):
        channel.queue_declare(args.target, durable=True, arguments={"x-queue-type": "classic"})
        channel.confirm_delivery()  # pika's blocking channel waits for each confirm: no batching
        if args.workload == "publish":
            start = time.perf_counter()
            for _ in range(args.events):
                channel.basic_publish("", args.target, body, properties, mandatory=True)
            return {"rate": args.events / (time.perf_counter() - start)}
        samples = []
        for _ in range(args.samples):
            start = time.perf_counter()
            channel.basic_publish("", args.target, body, properties, mandatory=True)
            samples.append((time.perf_counter() - start) * 1e6)
        return {"samples": samples}
    channel.basic_qos(prefetch_count=args.prefetch)
    state = {"seen": 0, "start": None}

    def handle(channel, method, _properties, _body):
        state["start"] = state["start"] or time.perf_counter()
        channel.basic_ack(method.delivery_tag)
        state["seen"] += 1
        if state["seen"] == args.events:
            channel.stop_consuming()

    channel.basic_consume(args.target, handle)
    channel.start_consuming()
    rate = args.events / (time.perf_counter() - state["start"])
    connection.close()
    return {"rate": rate}


def redis(args):
    import redis as redislib

    client = redislib.Redis.from_url(args.url)
    fields = dict(args.headers)
    fields["data"] = payload(args.payload)
    if args.workload == "publish":
        start = time.perf_counter()
        sent = 0
        while sent < args.events:
            count = min(args.batch, args.events - sent)
            pipe = client.pipeline(transaction=False)
            for _ in range(count):
                pipe.xadd(args.target, fields)
            pipe.execute()
            sent += count
        return {"rate": args.events / (time.perf_counter() - start)}
    if args.workload == "latency":
        samples = []
        for _ in range(args.samples):
            start = time.perf_counter()
            client.xadd(args.target, fields)
            samples.append((time.perf_counter() - start) * 1e6)
        return {"samples": samples}
    try:
        client.xgroup_create(args.target, args.group, id="0", mkstream=True)
    except redislib.ResponseError:
        pass  # the group exists
    seen, start = 0, None
    while seen < args.events:
        reply = client.xreadgroup(args.group, "peer", {args.target: ">"}, count=args.prefetch, block=100)
        if not reply:
            continue
        ids = [entry_id for entry_id, _ in reply[0][1]]
        start = start or time.perf_counter()
        client.xack(args.target, args.group, *ids)
        seen += len(ids)
    return {"rate": args.events / (time.perf_counter() - start)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("broker", choices=["kafka", "rabbitmq", "redis"])
    parser.add_argument("workload", choices=["publish", "consume", "latency"])
    parser.add_argument("target", help="topic, queue or stream")
    parser.add_argument("--url", required=True)
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--payload", type=int, default=256)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--prefetch", type=int, default=256)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--group", default="peer")
    parser.add_argument("--headers", type=json.loads, default={}, help="JSON object of header names and values")
    args = parser.parse_args()
    result = {"kafka": kafka, "rabbitmq": rabbitmq, "redis": redis}[args.broker](args)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
