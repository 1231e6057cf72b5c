import Connectors
import Synchronization

/// Counts the requests a connector client makes, as its transport sends them: per provider
/// and per kind of call, with the 429 answers.
///
/// A kind is the method and the path with ids and keys replaced by `{id}`, and the query
/// left out except for `fields=`, which marks a status read: `GET /rest/api/3/issue/{id}`.
final class RequestTally: Sendable {
    /// What was counted up to a moment; subtract two to get what happened between them.
    struct Snapshot: Sendable {
        /// Requests per provider and kind.
        var counts: [String: [String: Int]] = [:]
        /// 429 answers per provider.
        var tooMany: [String: Int] = [:]

        /// Requests to `provider`, all kinds.
        func requests(to provider: String) -> Int {
            counts[provider, default: [:]].values.reduce(0, +)
        }

        /// 429 answers from every provider.
        var allTooMany: Int { tooMany.values.reduce(0, +) }

        /// What happened since `earlier`.
        func since(_ earlier: Snapshot) -> Snapshot {
            var difference = Snapshot()
            for (provider, kinds) in counts {
                for (kind, count) in kinds {
                    let before = earlier.counts[provider]?[kind] ?? 0
                    if count > before {
                        difference.counts[provider, default: [:]][kind] = count - before
                    }
                }
            }
            for (provider, count) in tooMany {
                difference.tooMany[provider] = count - (earlier.tooMany[provider] ?? 0)
            }
            return difference
        }
    }

    /// The providers by the base URL their requests start with.
    private let providers: [(prefix: String, name: String)]
    private let state = Mutex(Snapshot())

    /// A tally that names requests by the first base URL they start with.
    init(providers: [(prefix: String, name: String)]) {
        self.providers = providers
    }

    /// What has been counted so far.
    var snapshot: Snapshot { state.withLock { $0 } }

    /// Counts one request to `url` answered with `status` (`nil`: no answer).
    func note(method: String, url: String, status: Int?) {
        guard let provider = providers.first(where: { url.hasPrefix($0.prefix) }) else {
            return
        }
        let kind = method + " " + Self.pattern(url.dropFirst(provider.prefix.count))
        state.withLock { tally in
            tally.counts[provider.name, default: [:]][kind, default: 0] += 1
            if status == 429 {
                tally.tooMany[provider.name, default: 0] += 1
            }
        }
    }

    /// The path with every segment that holds a digit, other than the API version after
    /// `api`, replaced by `{id}`; of the query, only `fields=` is kept.
    static func pattern(_ path: Substring) -> String {
        let parts = path.split(separator: "?", maxSplits: 1)
        var segments = (parts.first ?? "").split(separator: "/", omittingEmptySubsequences: false)
        for index in segments.indices.dropFirst()
        where segments[index].contains(where: \.isNumber) && segments[index - 1] != "api" {
            segments[index] = "{id}"
        }
        var pattern = segments.joined(separator: "/")
        if parts.count > 1, parts[1].contains("fields=") {
            pattern += "?fields="
        }
        return pattern
    }
}

/// Sends requests through another transport and tells a tally of each.
struct TallyingTransport: HTTPTransport {
    /// Where requests go.
    let transport: any HTTPTransport
    /// Where they are counted.
    let tally: RequestTally

    func send(_ request: ConnectorRequest) async throws -> ConnectorResponse {
        do {
            let response = try await transport.send(request)
            tally.note(method: request.method, url: request.url, status: response.status)
            return response
        } catch {
            tally.note(method: request.method, url: request.url, status: nil)
            throw error
        }
    }
}
