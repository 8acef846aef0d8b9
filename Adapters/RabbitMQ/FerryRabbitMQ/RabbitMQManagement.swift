import Ferry
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// RabbitMQ's management HTTP API: AMQP 0-9-1 can count a queue's ready messages but not
/// its unacknowledged ones, which lag needs. Port `management-port` (default 15672).
struct RabbitMQManagement {
    let endpoint: AMQPEndpoint

    /// Ready and unacknowledged messages of the queues whose names match `pattern` (the API
    /// filters by name only when it pages; 500 queues is more than one group ever has).
    func queues(matching pattern: String) async throws -> [(name: String, ready: Int, unacked: Int)] {
        let port = try endpoint.endpoint.integer("management-port", default: 15672, in: 1...65535)!
        let vhost = endpoint.vhost.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? endpoint.vhost
        let regex = pattern.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? pattern
        guard
            let url = URL(
                string:
                    "http://\(endpoint.host):\(port)/api/queues/\(vhost)?page=1&page_size=500&name=\(regex)&use_regex=true&columns=name,messages_ready,messages_unacknowledged"
            )
        else { throw FerryError(.invalidEndpoint, "cannot form a management API URL for \(endpoint.location)") }
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.setValue(
            "Basic " + Data("\(endpoint.user):\(endpoint.password)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        let (body, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200,
            let page = try JSONSerialization.jsonObject(with: body) as? [String: Any],
            let queues = page["items"] as? [[String: Any]]
        else {
            throw FerryError(
                .connectionFailed,
                "RabbitMQ's management API at \(endpoint.host):\(port) did not list the queues of vhost '\(endpoint.vhost)'",
                remedy: "enable the rabbitmq_management plugin, or set management-port in the endpoint URL")
        }
        return queues.map { queue in
            (queue["name"] as? String ?? "", queue["messages_ready"] as? Int ?? 0, queue["messages_unacknowledged"] as? Int ?? 0)
        }
    }
}
