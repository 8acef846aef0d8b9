import ArgumentParser
import Foundation

/// The data of an event given on the command line (`publish`, `request`), checked before
/// anything is sent.
struct EventDataOptions: ParsableArguments {
    @Option(help: "The data, as text (JSON unless --content-type says otherwise).")
    var data: String?

    @Option(help: "Read the data from this file.")
    var file: String?

    @Option(help: "The data's media type.")
    var contentType: String = "application/json"

    func validate() throws {
        guard data == nil || file == nil else { throw ValidationError("give --data or --file, not both") }
    }

    func bytes() throws -> Data {
        var bytes = Data()
        if let data { bytes = Data(data.utf8) }
        if let file {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read --file '\(file)': check that it exists and is readable")
            }
            bytes = contents
        }
        if contentType.lowercased().contains("json"), !bytes.isEmpty {
            do {
                _ = try JSONSerialization.jsonObject(with: bytes, options: .fragmentsAllowed)
            } catch {
                throw ValidationError(
                    "the data is not valid JSON (\(error.localizedDescription)); fix it or pass --content-type text/plain")
            }
        }
        return bytes
    }
}
