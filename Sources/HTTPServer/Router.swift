/// Handles a request: called on one of the server's threads, so it may block briefly, and
/// must be safe to call from several threads at once.
public typealias HTTPHandler = @Sendable (HTTPRequest) -> HTTPResponse

/// Finds the handler for a request by method and path pattern.
///
/// A pattern is a path whose segments may hold `{name}` placeholders, each matching the rest
/// of its segment up to a literal suffix (`/api/v2/tickets/{id}.json` matches
/// `/api/v2/tickets/42.json` with `id` = `42`), and whose last segment may be `*`, matching the
/// rest of the path (given as the parameter `*`). Routes are tried in the order they were
/// added. A path that some route matches under another method answers 405 with `Allow`;
/// a path no route matches answers 404.
public struct Router: Sendable {
    private var routes: [Route] = []

    /// An empty router: every request answers 404.
    public init() {}

    /// Adds a route.
    public mutating func add(
        _ method: HTTPMethod, _ pattern: String, _ handler: @escaping HTTPHandler
    ) {
        routes.append(Route(method: method, pattern: PathPattern(pattern), handler: handler))
    }

    /// Answers `request` with the first matching route's handler, its placeholders filled in.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        var allowed: [HTTPMethod] = []
        for route in routes {
            guard let parameters = route.pattern.match(request.path) else {
                continue
            }
            let answersHead = route.method == .get && request.method == .head
            guard route.method == request.method || answersHead else {
                if !allowed.contains(route.method) {
                    allowed.append(route.method)
                }
                continue
            }
            var routed = request
            routed.parameters = parameters
            var response = route.handler(routed)
            if answersHead {
                response.body = .bytes([])
            }
            return response
        }
        if !allowed.isEmpty {
            var response = HTTPResponse.text(
                "\(request.method) is not allowed on \(request.path)\n", status: 405)
            response.headers.set("Allow", allowed.map(\.rawValue).joined(separator: ", "))
            return response
        }
        return .text("no resource at \(request.path)\n", status: 404)
    }

    private struct Route: Sendable {
        let method: HTTPMethod
        let pattern: PathPattern
        let handler: HTTPHandler
    }
}

/// A path pattern: literal segments, segments with a `{name}` placeholder, and a final `*`.
struct PathPattern: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case placeholder(name: String, prefix: String, suffix: String)
        case rest
    }

    let segments: [Segment]

    init(_ pattern: String) {
        segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map { part in
            if part == "*" {
                return .rest
            }
            guard let open = part.firstIndex(of: "{"), let close = part.firstIndex(of: "}"),
                open < close
            else {
                return .literal(String(part))
            }
            return .placeholder(
                name: String(part[part.index(after: open)..<close]),
                prefix: String(part[..<open]), suffix: String(part[part.index(after: close)...]))
        }
    }

    /// The placeholders' values when `path` matches, `nil` otherwise.
    func match(_ path: String) -> [String: String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var parameters: [String: String] = [:]
        for (index, segment) in segments.enumerated() {
            switch segment {
            case .rest:
                parameters["*"] = parts.dropFirst(index).joined(separator: "/")
                return parameters
            case .literal(let literal):
                guard index < parts.count, parts[index] == literal else {
                    return nil
                }
            case .placeholder(let name, let prefix, let suffix):
                guard index < parts.count else {
                    return nil
                }
                let part = parts[index]
                guard part.count > prefix.count + suffix.count, part.hasPrefix(prefix),
                    part.hasSuffix(suffix)
                else {
                    return nil
                }
                parameters[name] = String(part.dropFirst(prefix.count).dropLast(suffix.count))
            }
        }
        return parts.count == segments.count ? parameters : nil
    }
}
