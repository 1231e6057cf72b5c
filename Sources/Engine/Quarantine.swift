import Foundation
import HTTPServer
import Ledger
import Synchronization

/// Where refused webhook deliveries are kept, with the reason, so that nobody has to guess
/// what was dropped: one JSON object a line in `quarantine.jsonl` beside the ledger, each
/// synced to disk before the refusal is answered. Nothing kept here is ever applied.
public final class Quarantine: Sendable {
    /// The file's path.
    public let path: String
    private let state = Mutex<Int>(0)

    /// A quarantine at `path`, created on first use.
    public init(path: String) {
        self.path = path
    }

    /// The quarantine of the ledger at `ledger`.
    public convenience init(ledger: String) {
        self.init(path: ledger + "/quarantine.jsonl")
    }

    /// Deliveries kept since this quarantine was opened.
    public var count: Int { state.withLock { $0 } }

    /// Keeps a refused delivery: when, from which connection, why, its headers and its body
    /// (as text when it is UTF-8, else base64).
    public func keep(
        connection: String, reason: String, headers: HTTPHeaders, body: [UInt8], at time: Timestamp
    ) {
        var entry: ValueObject = [
            "at": .string(time.description), "connection": .string(connection),
            "reason": .string(reason),
            "headers": .object(ValueObject(headers.map { ($0.name, Value.string($0.value)) })),
        ]
        if let text = String(validating: body, as: UTF8.self) {
            entry["body"] = .string(text)
        } else {
            entry["bodyBase64"] = .string(Data(body).base64EncodedString())
        }
        let line = Array((Value.object(entry).json + "\n").utf8)
        state.withLock { count in
            let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            guard descriptor >= 0 else {
                return
            }
            defer { close(descriptor) }
            _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            _ = fsync(descriptor)
            count += 1
        }
    }

    /// Every delivery kept in the file, oldest first.
    public func entries() throws -> [Value] {
        guard let data = FileManager.default.contents(atPath: path) else {
            return []
        }
        return try data.split(separator: UInt8(ascii: "\n")).map { try Value(jsonBytes: Array($0)) }
    }
}
