import CRabbitMQ

/// Facts about the rabbitmq-c library loaded at run time.
package enum RabbitMQRuntime {
    package static var version: String { String(cString: amqp_version()) }
}
