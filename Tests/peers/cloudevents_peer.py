"""The official CloudEvents Python SDK (cloudevents 2.x) as the other side of Ferry's tests.

  cloudevents_peer.py send kafka BROKERS TOPIC MODE COUNT
  cloudevents_peer.py send rabbitmq HOST PORT QUEUE MODE COUNT
  cloudevents_peer.py receive kafka BROKERS TOPIC COUNT
  cloudevents_peer.py receive rabbitmq HOST PORT QUEUE COUNT

`send` writes COUNT events made by the SDK's Kafka or RabbitMQ binding (MODE binary or
structured) and prints their ids; `receive` reads COUNT messages, parses each with the SDK's
binding (it detects the mode) and prints one JSON object per event.
"""
import base64
import json
import sys
import uuid

from cloudevents.core.bindings import kafka as kafka_binding
from cloudevents.core.bindings import rabbitmq as rabbitmq_binding
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent


def sdk_event(index):
    return CloudEvent(
        attributes={
            "id": f"sdk-{uuid.uuid4()}", "source": "/python-sdk", "type": "com.example.sdk", "subject": f"subject-{index}",
            "datacontenttype": "application/octet-stream", "tenant": "acme", "partitionkey": f"key-{index}",
        },
        data=bytes([0, 1, 2, 255, index % 256]),
    )


def describe(event):
    data = event.get_data()
    if isinstance(data, str):
        data = data.encode()
    elif isinstance(data, (dict, list)):
        data = json.dumps(data).encode()
    return {
        "id": event.get_id(), "source": event.get_source(), "type": event.get_type(), "subject": event.get_subject(),
        "datacontenttype": event.get_datacontenttype(), "tenant": event.get_extension("tenant"),
        "partitionkey": event.get_extension("partitionkey"), "data": base64.b64encode(data or b"").decode(),
    }


def main(args):
    command, broker = args[0], args[1]
    if broker == "kafka":
        from confluent_kafka import Consumer, Producer
        brokers, topic = args[2], args[3]
        if command == "send":
            mode, count = args[4], int(args[5])
            producer = Producer({"bootstrap.servers": brokers})
            for index in range(count):
                event = sdk_event(index)
                message = (kafka_binding.to_binary if mode == "binary" else kafka_binding.to_structured)(event, JSONFormat())
                producer.produce(topic, value=message.value, key=message.key, headers=list(message.headers.items()))
                print(event.get_id())
            producer.flush(30)
        else:
            count = int(args[4])
            consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"sdk-{uuid.uuid4()}", "auto.offset.reset": "earliest"})
            consumer.subscribe([topic])
            seen = 0
            while seen < count:
                record = consumer.poll(30)
                if record is None:
                    sys.exit("no record within 30 s")
                if record.error():
                    continue
                headers = {name: value for name, value in (record.headers() or [])}
                message = kafka_binding.KafkaMessage(headers=headers, key=record.key(), value=record.value() or b"")
                described = describe(kafka_binding.from_kafka(message, JSONFormat()))
                described["key"] = record.key().decode() if record.key() is not None else None
                print(json.dumps(described), flush=True)
                seen += 1
            consumer.close()
    else:
        import pika
        host, port, queue = args[2], int(args[3]), args[4]
        connection = pika.BlockingConnection(pika.ConnectionParameters(host=host, port=port))
        channel = connection.channel()
        channel.queue_declare(queue=queue, durable=True)
        if command == "send":
            mode, count = args[5], int(args[6])
            for index in range(count):
                event = sdk_event(index)
                message = (rabbitmq_binding.to_binary if mode == "binary" else rabbitmq_binding.to_structured)(event, JSONFormat())
                channel.basic_publish(
                    exchange="", routing_key=queue, body=message.body,
                    properties=pika.BasicProperties(headers=message.headers, content_type=message.content_type, delivery_mode=2))
                print(event.get_id())
        else:
            count = int(args[5])
            seen = 0
            for method, properties, body in channel.consume(queue, inactivity_timeout=30):
                if method is None:
                    sys.exit("no message within 30 s")
                headers = {name: str(value) for name, value in (properties.headers or {}).items()}
                message = rabbitmq_binding.RabbitMQMessage(headers=headers, content_type=properties.content_type, body=body)
                print(json.dumps(describe(rabbitmq_binding.from_rabbitmq(message, JSONFormat()))), flush=True)
                channel.basic_ack(method.delivery_tag)
                seen += 1
                if seen == count:
                    break
        connection.close()


if __name__ == "__main__":
    main(sys.argv[1:])
