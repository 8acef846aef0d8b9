import CRabbitMQ

/// Facts about the rabbitmq-c library loaded at run time.
public enum RabbitMQRuntime {
    public static var version: String { String(cString: amqp_version()) }
}
