import Foundation
import HTTPServer
import Ledger
import Synchronization

/// A local Zendesk Support API: tickets, comments, ticket fields, bulk jobs and the incremental
/// cursor export, behind API-token or OAuth 2.0 authentication and per-minute rate limits, with
/// `Idempotency-Key` on ticket creation. State is in memory, seeded deterministically.
/// `docs/sandbox.md` lists where it differs from the real service.
public final class ZendeskEmulator: Sendable {
    /// How the emulator starts.
    public struct Configuration: Sendable {
        /// The agent whose API token is accepted. Defaults to `agent@example.com`.
        public var email = "agent@example.com"
        /// The API token accepted. Defaults to `sandbox-token`.
        public var apiToken = "sandbox-token"
        /// Requests per minute (the plan's limit); 0 turns limits off. Defaults to 700.
        public var requestsPerMinute = 700
        /// The length of a rate-limit window in seconds: a minute, as Zendesk counts, unless
        /// set shorter to measure pacing in less time. The limits are per window.
        public var rateLimitWindowSeconds: Int64 = 60
        /// Requests per minute to the incremental export; 0 turns the limit off. Defaults to
        /// 10.
        public var incrementalRequestsPerMinute = 10
        /// How many seconds old a change must be before the incremental export shows it, and
        /// how far in the past its `start_time` must lie: a minute, as Zendesk has it, unless
        /// shortened along with ``rateLimitWindowSeconds`` to run a sync in less time.
        public var incrementalExportDelaySeconds: Int64 = 60
        /// The seed of the generated data. Defaults to 1.
        public var seed: UInt64 = 1
        /// Tickets generated at start. Defaults to 50.
        public var tickets = 50
        /// Where time comes from.
        public var clock: any SandboxClock = SystemSandboxClock()
        /// The id of the OAuth client registered.
        public var oauthClientID = "syncledger-sandbox"
        /// Its secret.
        public var oauthClientSecret = "sandbox-client-secret"
        /// Its redirect URI; any port on `127.0.0.1` matches a loopback one.
        public var oauthRedirectURI = "http://127.0.0.1/oauth/callback"
        /// Whether the consent page approves at once, for scripted use. Defaults to `true`.
        public var autoApproveConsent = true
        /// Where OAuth tokens' lifetimes are measured, when not on ``clock``: lets a caller
        /// make tokens expire by moving this clock on while the APIs keep real time.
        public var tokenClock: (any SandboxClock)?
        /// Seconds an OAuth access token lives. Defaults to 7,200.
        public var accessTokenLifetime: Int64 = 7_200
        /// Attempts at each webhook delivery before it is dropped. Defaults to 5.
        public var webhookAttempts = 5
        /// The pause before the first retry of a delivery; it doubles each time. Defaults to
        /// 200 ms.
        public var webhookRetryPause: Duration = .milliseconds(200)
        /// Faults to inject from the start; the admin endpoint changes them later.
        public var faults = FaultSettings()

        /// The defaults.
        public init() {}
    }

    let configuration: Configuration
    let state: Mutex<ZendeskState>
    private let limiter: RateLimiter
    private let incrementalLimiter: RateLimiter
    let oauth: OAuthAuthority
    let dispatcher: WebhookDispatcher
    let faults: FaultInjector
    /// A delivery held back to be sent after the next one, when reordering.
    let heldDelivery = Mutex<WebhookDispatcher.Delivery?>(nil)
    /// Tickets' JSON as last rendered, keyed by what changes it.
    let renderings = Mutex<[RenderKey: String]>([:])

    /// What a ticket's rendering depends on: it changes whenever the ticket does.
    struct RenderKey: Hashable {
        var id: Int64
        var generated: Int64
        var isDeleted: Bool
        var baseURL: String
        var drift: Bool
    }

    /// Creates the emulator with its seeded tickets.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        var seeder = ZendeskSeeder(seed: configuration.seed)
        let tickets = seeder.tickets(configuration.tickets, now: configuration.clock.now())
        state = Mutex(ZendeskState(tickets: tickets))
        limiter = RateLimiter(
            limit: configuration.requestsPerMinute,
            windowSeconds: configuration.rateLimitWindowSeconds)
        incrementalLimiter = RateLimiter(
            limit: configuration.incrementalRequestsPerMinute,
            windowSeconds: configuration.rateLimitWindowSeconds)
        faults = FaultInjector(configuration.faults)
        dispatcher = WebhookDispatcher(
            maximumAttempts: configuration.webhookAttempts,
            firstPause: configuration.webhookRetryPause)
        var lifetimes = OAuthAuthority.Lifetimes()
        lifetimes.accessToken = configuration.accessTokenLifetime
        // A refresh invalidates the pair it used at once.
        lifetimes.refreshReuseGrace = nil
        lifetimes.refreshEndsPreviousAccess = true
        oauth = OAuthAuthority(
            clients: [
                .init(
                    id: configuration.oauthClientID, secret: configuration.oauthClientSecret,
                    redirectURIs: [configuration.oauthRedirectURI])
            ], lifetimes: lifetimes, clock: configuration.tokenClock ?? configuration.clock,
            seed: configuration.seed)
    }

    /// Revokes every OAuth token issued so far, as an administrator would.
    public func revokeAllTokens() {
        oauth.revokeAll()
    }

    /// The routes of the API, to serve on an ``HTTPServer``.
    public var router: Router {
        var router = Router()
        router.addBoth(.get, "/api/v2/tickets") { [self] in guarded($0, listTickets) }
        router.addBoth(.post, "/api/v2/tickets") { [self] in guarded($0, createTicket) }
        router.addBoth(.get, "/api/v2/tickets/show_many") { [self] in guarded($0, showMany) }
        router.addBoth(.post, "/api/v2/tickets/create_many") { [self] in guarded($0, createMany) }
        router.addBoth(.put, "/api/v2/tickets/update_many") { [self] in guarded($0, updateMany) }
        router.addBoth(.get, "/api/v2/tickets/{id}") { [self] in guarded($0, showTicket) }
        router.addBoth(.put, "/api/v2/tickets/{id}") { [self] in guarded($0, updateTicket) }
        router.addBoth(.delete, "/api/v2/tickets/{id}") { [self] in guarded($0, deleteTicket) }
        router.addBoth(.get, "/api/v2/tickets/{id}/comments") { [self] in guarded($0, comments) }
        router.addBoth(.get, "/api/v2/ticket_fields") { [self] in guarded($0, ticketFields) }
        router.addBoth(.get, "/api/v2/job_statuses/{id}") { [self] in guarded($0, jobStatus) }
        router.add(.get, "/api/v2/incremental/tickets/cursor.json") { [self] request in
            guarded(request, limiter: incrementalLimiter, incrementalExport)
        }
        let approve = "/oauth/authorizations/new"
        router.add(.get, approve) { [self] request in
            oauth.authorize(
                request, autoApprove: configuration.autoApproveConsent, approvePath: approve)
        }
        router.add(.post, approve) { [self] request in
            oauth.authorize(request, autoApprove: true, approvePath: approve)
        }
        router.add(.post, "/oauth/tokens") { [self] in oauth.token($0) }
        addWebhookRoutes(to: &router)
        faults.addRoutes(to: &router)
        router.add(.post, "/_sandbox/revoke-tokens") { [self] _ in
            revokeAllTokens()
            return HTTPResponse(status: 204)
        }
        router.addBoth(.delete, "/api/v2/oauth/tokens/current") { [self] request in
            guarded(request) { request in
                guard let token = Self.bearerToken(request) else {
                    return .json(
                        [
                            "error": "InvalidValue",
                            "description": "only an OAuth token can be revoked",
                        ],
                        status: 400)
                }
                oauth.revoke(accessToken: token)
                return HTTPResponse(status: 204)
            }
        }
        return router
    }

    // MARK: - Authentication and limits

    /// Checks the credentials and the rate limit, runs `handler`, and adds the limit headers.
    func guarded(
        _ request: HTTPRequest, limiter: RateLimiter? = nil,
        _ handler: (HTTPRequest) -> HTTPResponse
    ) -> HTTPResponse {
        if let token = Self.bearerToken(request) {
            guard oauth.validate(token) else {
                return .json(
                    [
                        "error": "invalid_token",
                        "error_description":
                            "The access token provided is expired, revoked, malformed or invalid for other reasons.",
                    ], status: 401)
            }
        } else if !hasAPIToken(request) {
            return .json(["error": "Couldn't authenticate you"], status: 401)
        }
        let now = configuration.clock.now()
        var budget = (limiter ?? self.limiter).spend(at: now)
        var response: HTTPResponse
        switch faults.drawForRequest() {
        case .serverError:
            return .json(
                ["error": "ServiceUnavailable", "description": "Please try again later"],
                status: 503)
        case .rateLimitStorm:
            budget.allowed = false
            budget.remaining = 0
            budget.resetIn = max(budget.resetIn, 1)
        case .none:
            break
        }
        if budget.allowed {
            response = handler(request)
        } else {
            response = .json(
                [
                    "error": "APIRateLimitExceeded",
                    "description": "Number of allowed API requests per minute exceeded",
                ], status: 429)
            response.headers.set(
                "Retry-After",
                budget.secondsToReset(at: now, window: (limiter ?? self.limiter).windowSeconds))
        }
        let limit = (limiter ?? self.limiter).limit
        if limit > 0 && budget.remaining != Int.max {
            response.headers.set("X-Rate-Limit", String(limit))
            response.headers.set("X-Rate-Limit-Remaining", String(budget.remaining))
            response.headers.set("ratelimit-limit", String(limit))
            response.headers.set("ratelimit-remaining", String(budget.remaining))
            response.headers.set(
                "ratelimit-reset",
                budget.secondsToReset(at: now, window: (limiter ?? self.limiter).windowSeconds))
        }
        return response
    }

    static func bearerToken(_ request: HTTPRequest) -> String? {
        guard let header = request.headers["Authorization"], header.hasPrefix("Bearer ") else {
            return nil
        }
        return String(header.dropFirst(7))
    }

    private func hasAPIToken(_ request: HTTPRequest) -> Bool {
        guard let header = request.headers["Authorization"], header.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6)))
        else {
            return false
        }
        let expected = "\(configuration.email)/token:\(configuration.apiToken)"
        return String(decoding: decoded, as: UTF8.self) == expected
    }

    /// `http://host:port` as the client addressed the server, for URLs in responses.
    private func baseURL(_ request: HTTPRequest) -> String {
        "http://\(request.headers["Host"] ?? "127.0.0.1")"
    }

    // MARK: - Tickets

    private func listTickets(_ request: HTTPRequest) -> HTTPResponse {
        let base = baseURL(request)
        if request.query("page[size]") != nil || request.query("page[after]") != nil
            || request.query("page[before]") != nil
        {
            return cursorPage(request, base: base)
        }
        let perPage = min(Int(request.query("per_page") ?? "") ?? 100, 100)
        let page = max(Int(request.query("page") ?? "") ?? 1, 1)
        guard perPage > 0, (page - 1) * perPage < 10_000 else {
            return .json(
                [
                    "error": "InvalidPaginationParameter",
                    "description":
                        "Offset pagination is limited to the first 10000 records; use cursor pagination",
                ], status: 400)
        }
        let (slice, count) = state.withLock { state in
            let live = state.liveTickets()
            let start = min((page - 1) * perPage, live.count)
            return (Array(live[start..<min(start + perPage, live.count)]), live.count)
        }
        let hasNext = (page - 1) * perPage + slice.count < count
        let next: Value =
            hasNext
            ? .string("\(base)/api/v2/tickets.json?page=\(page + 1)&per_page=\(perPage)") : .null
        let previous: Value =
            page > 1
            ? .string("\(base)/api/v2/tickets.json?page=\(page - 1)&per_page=\(perPage)") : .null
        let tickets = slice.map { rendered($0, baseURL: base) }.joined(separator: ",")
        return .json(
            #"{"count":\#(count),"next_page":\#(next.json),"previous_page":\#(previous.json),"tickets":[\#(tickets)]}"#
        )
    }

    private func cursorPage(_ request: HTTPRequest, base: String) -> HTTPResponse {
        let size = Int(request.query("page[size]") ?? "") ?? 100
        guard (1...100).contains(size) else {
            return .json(
                [
                    "error": "InvalidPaginationParameter",
                    "description": "page[size] must be 1 to 100",
                ],
                status: 400)
        }
        let page: [ZendeskTicket]
        let hasMore: Bool
        if let after = request.query("page[after]") {
            guard let last = Cursor.decode(after) else {
                return .json(
                    [
                        "error": "InvalidPaginationParameter",
                        "description": "page[after] is not a cursor",
                    ],
                    status: 400)
            }
            (page, hasMore) = state.withLock { $0.page(after: last, size: size) }
        } else if let before = request.query("page[before]") {
            guard let first = Cursor.decode(before) else {
                return .json(
                    [
                        "error": "InvalidPaginationParameter",
                        "description": "page[before] is not a cursor",
                    ],
                    status: 400)
            }
            (page, hasMore) = state.withLock { state in
                let page = state.page(before: first, size: size)
                return (
                    page,
                    page.last.map { state.page(after: $0.id, size: 1).tickets.count > 0 } ?? false
                )
            }
        } else {
            (page, hasMore) = state.withLock { $0.page(after: nil, size: size) }
        }
        let after = page.last.map { Cursor.encode($0.id) }
        let before = page.first.map { Cursor.encode($0.id) }
        let path = "\(base)/api/v2/tickets.json?page%5Bsize%5D=\(size)"
        let meta: Value = [
            "has_more": .bool(hasMore), "after_cursor": after.map(Value.string) ?? .null,
            "before_cursor": before.map(Value.string) ?? .null,
        ]
        let links: Value = [
            "next": hasMore ? .string("\(path)&page%5Bafter%5D=\(after!)") : .null,
            "prev": before.map { .string("\(path)&page%5Bbefore%5D=\($0)") } ?? .null,
        ]
        // The page is assembled from each ticket's JSON, rendered once per change.
        let tickets = page.map { rendered($0, baseURL: base) }.joined(separator: ",")
        return .json(#"{"links":\#(links.json),"meta":\#(meta.json),"tickets":[\#(tickets)]}"#)
    }

    /// The JSON text of `ticket`, from the cache when it has not changed since it was rendered.
    func rendered(_ ticket: ZendeskTicket, baseURL: String) -> String {
        let drift = faults.settings.schemaDrift
        let key = RenderKey(
            id: ticket.id, generated: ticket.generatedTimestamp, isDeleted: ticket.isDeleted,
            baseURL: baseURL, drift: drift)
        if let text = renderings.withLock({ $0[key] }) {
            return text
        }
        let text = ticket.json(baseURL: baseURL, fields: ZendeskTicketField.standard, drift: drift)
            .json
        renderings.withLock { cache in
            if cache.count > 100_000 {
                cache.removeAll()
            }
            cache[key] = text
        }
        return text
    }

    private func showTicket(_ request: HTTPRequest) -> HTTPResponse {
        guard let id = Int64(request.parameters["id"] ?? ""),
            let ticket = state.withLock({ $0.ticket(id) })
        else {
            return Self.notFound
        }
        return .json([
            "ticket": ticket.json(
                baseURL: baseURL(request), fields: ZendeskTicketField.standard,
                drift: faults.settings.schemaDrift)
        ])
    }

    private func showMany(_ request: HTTPRequest) -> HTTPResponse {
        let ids = (request.query("ids") ?? "").split(separator: ",").compactMap { Int64($0) }
        guard ids.count <= 100 else {
            return .json(
                ["error": "InvalidValue", "description": "show_many takes at most 100 ids"],
                status: 400)
        }
        let tickets = state.withLock { state in ids.compactMap { state.ticket($0) } }
        let base = baseURL(request)
        return .json([
            "tickets": .array(
                tickets.map {
                    $0.json(
                        baseURL: base, fields: ZendeskTicketField.standard,
                        drift: faults.settings.schemaDrift)
                })
        ])
    }

    private func createTicket(_ request: HTTPRequest) -> HTTPResponse {
        let base = baseURL(request)
        let key = request.headers["Idempotency-Key"]
        if let key, key.utf8.count > 255 {
            return .json(
                ["error": "InvalidValue", "description": "Idempotency-Key is longer than 255"],
                status: 400)
        }
        let digest = Digest.sha256(request.body)
        var created: ZendeskTicket?
        let answer = state.withLock { state -> HTTPResponse in
            if let key, let earlier = state.idempotency[key] {
                guard earlier.digest == digest else {
                    return .json(
                        [
                            "error": "IdempotentRequestError",
                            "description":
                                "Idempotency-Key was used with a different request body",
                        ], status: 400)
                }
                var replay = earlier.response
                replay.headers.set("x-idempotency-lookup", "hit")
                return replay
            }
            var response: HTTPResponse
            switch Self.ticketMembers(request) {
            case .failure(let rejection):
                response = rejection.response
            case .success(let members):
                switch state.create(members, now: configuration.clock.now()) {
                case .failure(let invalid):
                    response = invalid.response
                case .success(let (ticket, audit)):
                    response = .json(
                        [
                            "ticket": ticket.json(
                                baseURL: base, fields: ZendeskTicketField.standard,
                                drift: faults.settings.schemaDrift),
                            "audit": audit,
                        ], status: 201)
                    response.headers.set("Location", "\(base)/api/v2/tickets/\(ticket.id).json")
                    created = ticket
                }
            }
            if let key {
                if response.status < 500 {
                    state.idempotency[key] = ZendeskState.Remembered(
                        digest: digest, response: response)
                }
                response.headers.set("x-idempotency-lookup", "miss")
            }
            return response
        }
        if let created {
            announce("created", created, baseURL: base)
        }
        return answer
    }

    private func updateTicket(_ request: HTTPRequest) -> HTTPResponse {
        guard let id = Int64(request.parameters["id"] ?? "") else {
            return Self.notFound
        }
        let members: ValueObject
        switch Self.ticketMembers(request) {
        case .failure(let rejection): return rejection.response
        case .success(let parsed): members = parsed
        }
        let base = baseURL(request)
        let outcome = state.withLock { state in
            state.update(id, members, now: configuration.clock.now())
        }
        switch outcome {
        case .failure(let invalid):
            return invalid.response
        case .success(let (ticket, audit)):
            announce("updated", ticket, baseURL: base)
            return .json([
                "ticket": ticket.json(
                    baseURL: base, fields: ZendeskTicketField.standard,
                    drift: faults.settings.schemaDrift),
                "audit": audit,
            ])
        }
    }

    private func deleteTicket(_ request: HTTPRequest) -> HTTPResponse {
        guard let id = Int64(request.parameters["id"] ?? "") else {
            return Self.notFound
        }
        let deleted = state.withLock { state -> ZendeskTicket? in
            state.delete(id, now: configuration.clock.now()) ? state.tickets[id] : nil
        }
        guard let deleted else {
            return Self.notFound
        }
        announce("deleted", deleted, baseURL: baseURL(request))
        return HTTPResponse(status: 204)
    }

    private func comments(_ request: HTTPRequest) -> HTTPResponse {
        guard let id = Int64(request.parameters["id"] ?? ""),
            let ticket = state.withLock({ $0.ticket(id) })
        else {
            return Self.notFound
        }
        return .json([
            "comments": .array(ticket.comments.map { $0.json() }), "next_page": .null,
            "previous_page": .null, "count": .integer(Int64(ticket.comments.count)),
        ])
    }

    private func ticketFields(_ request: HTTPRequest) -> HTTPResponse {
        let base = baseURL(request)
        return .json([
            "ticket_fields": .array(ZendeskTicketField.standard.map { $0.json(baseURL: base) }),
            "next_page": .null, "previous_page": .null,
            "count": .integer(Int64(ZendeskTicketField.standard.count)),
        ])
    }

    // MARK: - Bulk jobs

    private func createMany(_ request: HTTPRequest) -> HTTPResponse {
        bulk(request, member: "tickets", announcing: "created") { state, ticket, now in
            state.create(ticket, now: now).map { created, _ in created.id }
        }
    }

    private func updateMany(_ request: HTTPRequest) -> HTTPResponse {
        bulk(request, member: "tickets", announcing: "updated") { state, ticket, now in
            guard case .integer(let id)? = ticket["id"] else {
                return .failure(ZendeskInvalid(field: "id", description: "Id: is required"))
            }
            return state.update(id, ticket, now: now).map { updated, _ in updated.id }
        }
    }

    /// Runs each ticket of the body through `apply` and records the results as a job.
    private func bulk(
        _ request: HTTPRequest, member: String, announcing change: String,
        _ apply: (inout ZendeskState, ValueObject, Timestamp) -> Result<Int64, ZendeskInvalid>
    ) -> HTTPResponse {
        guard case .success(let body) = request.jsonObject(),
            case .array(let items)? = body[member]
        else {
            return .json(
                [
                    "error": "InvalidValue",
                    "description": .string("expected {\"\(member)\": [...]}"),
                ],
                status: 400)
        }
        guard items.count <= 100 else {
            return .json(
                ["error": "TooManyValues", "description": "at most 100 tickets per job"],
                status: 400)
        }
        let base = baseURL(request)
        var changed: [ZendeskTicket] = []
        let job = state.withLock { state -> Value in
            let now = configuration.clock.now()
            var results: [Value] = []
            for (index, item) in items.enumerated() {
                let outcome: Result<Int64, ZendeskInvalid> =
                    item.objectValue.map { apply(&state, $0, now) }
                    ?? .failure(ZendeskInvalid(field: "ticket", description: "is not an object"))
                switch outcome {
                case .success(let id):
                    results.append([
                        "index": .integer(Int64(index)), "id": .integer(id), "success": true,
                    ])
                    changed += state.ticket(id).map { [$0] } ?? []
                case .failure(let invalid):
                    results.append([
                        "index": .integer(Int64(index)), "success": false,
                        "error": invalid.isConflict ? "UpdateConflict" : "RecordInvalid",
                        "details": .string(invalid.description),
                    ])
                }
            }
            return state.recordJob(results: results, baseURL: base)
        }
        for ticket in changed {
            announce(change, ticket, baseURL: base)
        }
        return .json(["job_status": job])
    }

    private func jobStatus(_ request: HTTPRequest) -> HTTPResponse {
        guard let job = state.withLock({ $0.jobs[request.parameters["id"] ?? ""] }) else {
            return Self.notFound
        }
        return .json(["job_status": job])
    }

    // MARK: - Incremental export

    private func incrementalExport(_ request: HTTPRequest) -> HTTPResponse {
        let now = configuration.clock.now().unixSeconds
        let delay = configuration.incrementalExportDelaySeconds
        let base = baseURL(request)
        let position: (time: Int64, id: Int64)
        if let cursor = request.query("cursor") {
            guard let decoded = ExportCursor.decode(cursor) else {
                return .json(
                    ["error": "InvalidValue", "description": "cursor is not a valid cursor"],
                    status: 400)
            }
            position = decoded
        } else {
            guard let start = Int64(request.query("start_time") ?? "") else {
                return .json(
                    ["error": "InvalidValue", "description": "start_time or cursor is required"],
                    status: 400)
            }
            guard start <= now - delay else {
                let age = delay == 60 ? "1 minute" : "\(delay) seconds"
                return .json(
                    [
                        "error": "InvalidValue",
                        "description": .string(
                            "Too recent start_time. Use a start_time older than \(age)"),
                    ], status: 400)
            }
            position = (start, 0)
        }
        let perPage = min(Int(request.query("per_page") ?? "") ?? 1_000, 1_000)
        // Changes younger than the delay (a minute) are left out: they may still be reordered.
        let horizon = now - delay
        let changed = state.withLock { state in
            state.tickets.values.filter { ticket in
                ticket.generatedTimestamp < horizon
                    && (ticket.generatedTimestamp, ticket.id) > (position.time, position.id)
                    && ticket.generatedTimestamp >= position.time
            }.sorted { ($0.generatedTimestamp, $0.id) < ($1.generatedTimestamp, $1.id) }
        }
        let page = changed.prefix(perPage)
        let last = page.last.map { ($0.generatedTimestamp, $0.id) } ?? position
        let after = ExportCursor.encode(last)
        let before = ExportCursor.encode(
            page.first.map { ($0.generatedTimestamp, $0.id - 1) } ?? position)
        // The page size carries over to the next pages, as the links are followed as given.
        let size = request.query("per_page").map { "per_page=\($0)&" } ?? ""
        let url = "\(base)/api/v2/incremental/tickets/cursor.json?\(size)cursor="
        return .json([
            "tickets": .array(
                page.map {
                    $0.json(
                        baseURL: base, fields: ZendeskTicketField.standard,
                        drift: faults.settings.schemaDrift)
                }),
            "after_cursor": .string(after), "after_url": .string(url + after),
            "before_cursor": .string(before), "before_url": .string(url + before),
            "end_of_stream": .bool(changed.count <= perPage),
        ])
    }

    // MARK: - Shapes

    static let notFound = HTTPResponse.json(
        ["error": "RecordNotFound", "description": "Not found"], status: 404)

    /// The `ticket` member of a request body, or the answer to a body without one.
    private static func ticketMembers(_ request: HTTPRequest) -> Result<ValueObject, Rejection> {
        switch request.jsonObject() {
        case .failure(let bad):
            return .failure(
                Rejection(
                    .json(
                        ["error": "InvalidValue", "description": .string(bad.reason)], status: 400))
            )
        case .success(let body):
            guard case .object(let ticket)? = body["ticket"] else {
                return .failure(
                    Rejection(
                        .json(
                            [
                                "error": "InvalidValue",
                                "description": "expected {\"ticket\": {...}}",
                            ],
                            status: 400)))
            }
            return .success(ticket)
        }
    }
}

/// A request answered before it reaches the state: the answer to send.
struct Rejection: Error {
    let response: HTTPResponse

    init(_ response: HTTPResponse) {
        self.response = response
    }
}

/// Opaque cursors over ticket ids, as the list endpoint hands them out.
enum Cursor {
    static func encode(_ id: Int64) -> String {
        Data("t:\(id)".utf8).base64EncodedString()
    }

    static func decode(_ text: String) -> Int64? {
        guard let data = Data(base64Encoded: text) else {
            return nil
        }
        let decoded = String(decoding: data, as: UTF8.self)
        return decoded.hasPrefix("t:") ? Int64(decoded.dropFirst(2)) : nil
    }
}

/// Opaque cursors of the incremental export: the last change's time and ticket id.
enum ExportCursor {
    static func encode(_ position: (Int64, Int64)) -> String {
        Data("x:\(position.0):\(position.1)".utf8).base64EncodedString()
    }

    static func decode(_ text: String) -> (time: Int64, id: Int64)? {
        guard let data = Data(base64Encoded: text) else {
            return nil
        }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ":")
        guard parts.count == 3, parts[0] == "x", let time = Int64(parts[1]),
            let id = Int64(parts[2])
        else {
            return nil
        }
        return (time, id)
    }
}
