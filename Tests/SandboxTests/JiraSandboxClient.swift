import Foundation
import HTTPServer
import Ledger
import Sandbox
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A Jira emulator served on a loopback port, and a client speaking to it over HTTP.
final class JiraSandbox {
    let clock: ManualSandboxClock
    let emulator: JiraEmulator
    let server: HTTPServer
    let authorization: String

    static let start = Timestamp(secondsSinceEpoch: 1_796_000_000)

    init(_ adjust: (inout JiraEmulator.Configuration) -> Void = { _ in }) throws {
        clock = ManualSandboxClock(at: Self.start)
        var configuration = JiraEmulator.Configuration()
        configuration.clock = clock
        adjust(&configuration)
        emulator = JiraEmulator(configuration: configuration)
        server = try HTTPServer(router: emulator.router)
        authorization =
            "Basic "
            + Data("\(configuration.email):\(configuration.apiToken)".utf8).base64EncodedString()
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
    ///
    /// `query` is percent-encoded strictly, so JQL's `=`, `&` and quotes survive.
    func send(
        _ method: String, _ path: String, query: [(String, String)] = [], json: String? = nil,
        authorization: String? = nil
    ) async throws -> Answer {
        var url = path.hasPrefix("http") ? path : server.baseURL + path
        if !query.isEmpty {
            url +=
                (url.contains("?") ? "&" : "?")
                + query.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        }
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.setValue(authorization ?? self.authorization, forHTTPHeaderField: "Authorization")
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
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

    /// Sends `value` as the JSON body.
    func send(
        _ method: String, _ path: String, query: [(String, String)] = [], body value: Value,
        authorization: String? = nil
    ) async throws -> Answer {
        try await send(
            method, path, query: query, json: value.json, authorization: authorization)
    }

    private static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~*")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

extension Value {
    /// The elements' `key` members, for lists of issues.
    var issueKeys: [String] {
        arrayValue?.compactMap { $0["key"]?.stringValue } ?? []
    }
}
