import Ferry
import Foundation

/// RabbitMQ's management HTTP API: AMQP 0-9-1 can count a queue's ready messages but not
/// its unacknowledged ones, which lag needs. Port `management-port` (default 15672, and 15671
/// over HTTPS for `amqps` endpoints, verified like the AMQP connection).
struct RabbitMQManagement {
    let endpoint: AMQPEndpoint

    /// Ready and unacknowledged messages of the queues whose names match `pattern` (the API
    /// filters by name only when it pages; 500 queues is more than one group ever has).
    func queues(matching pattern: String) async throws -> [(name: String, ready: Int, unacked: Int)] {
        let port = try endpoint.endpoint.integer("management-port", default: endpoint.tls ? 15671 : 15672, in: 1...65535)!
        let vhost = endpoint.vhost.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? endpoint.vhost
        let regex = pattern.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? pattern
        let path =
            "/api/queues/\(vhost)?page=1&page_size=500&name=\(regex)&use_regex=true&columns=name,messages_ready,messages_unacknowledged"
        let http = ManagementHTTP(host: endpoint.host, port: port, tls: endpoint.tls ? (endpoint.caCertificate, endpoint.verifyPeer) : nil)
        let authorization = "Basic " + Data("\(endpoint.user):\(endpoint.password)".utf8).base64EncodedString()
        let executor = BlockingExecutor(label: "ferry.amqp.management")
        let fetch = { @Sendable () throws(FerryError) in try http.get(path, authorization: authorization) }
        var (status, body) = try await executor.run(fetch)
        // RabbitMQ 3.10 fails the whole list with 500 while a queue in it is being declared or
        // deleted (it formats a queue with no process yet); that passes within moments.
        for pause in [100, 300, 900] where status >= 500 {
            try await Task.sleep(for: .milliseconds(pause))
            (status, body) = try await executor.run(fetch)
        }
        guard status == 200,
            let page = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let queues = page["items"] as? [[String: Any]]
        else {
            throw FerryError(
                .connectionFailed,
                "RabbitMQ's management API at \(endpoint.host):\(port) did not list the queues of vhost '\(endpoint.vhost)' (HTTP \(status))",
                remedy: status == 401
                    ? "check the user and password in the endpoint URL"
                    : "enable the rabbitmq_management plugin, or set management-port in the endpoint URL")
        }
        return queues.map { queue in
            (queue["name"] as? String ?? "", queue["messages_ready"] as? Int ?? 0, queue["messages_unacknowledged"] as? Int ?? 0)
        }
    }
}
