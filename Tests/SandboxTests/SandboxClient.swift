import Foundation
import HTTPServer
import Ledger
import Sandbox
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A Zendesk emulator served on a loopback port, and a client speaking to it over HTTP.
final class ZendeskSandbox {
    let clock: ManualSandboxClock
    let emulator: ZendeskEmulator
    let server: HTTPServer
    let authorization: String

    static let start = Timestamp(secondsSinceEpoch: 1_796_000_000)

    init(_ adjust: (inout ZendeskEmulator.Configuration) -> Void = { _ in }) throws {
        clock = ManualSandboxClock(at: Self.start)
        var configuration = ZendeskEmulator.Configuration()
        configuration.clock = clock
        adjust(&configuration)
        emulator = ZendeskEmulator(configuration: configuration)
        server = try HTTPServer(router: emulator.router)
        authorization =
            "Basic "
            + Data("\(configuration.email)/token:\(configuration.apiToken)".utf8)
            .base64EncodedString()
    }

    deinit {
        server.stop()
    }

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: Value
    }

    /// Sends a request with the API token (or `authorization`), and reads the JSON answer.
    func send(
        _ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:],
        authorization: String? = nil
    ) async throws -> Answer {
        let url = path.hasPrefix("http") ? path : server.baseURL + path
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.setValue(authorization ?? self.authorization, forHTTPHeaderField: "Authorization")
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            fields[String(describing: name).lowercased()] = String(describing: value)
        }
        let body = data.isEmpty ? Value.null : try Value(jsonBytes: Array(data))
        return Answer(status: http.statusCode, headers: fields, body: body)
    }
}
