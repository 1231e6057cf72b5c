import Foundation
import HTTPServer
import Ledger
import Synchronization

/// A local Jira Cloud platform REST API, version 3: issues (create, bulk create, edit, delete,
/// transitions, change history), JQL search with page tokens, fields, priorities, projects and
/// the current user. It answers both at `/rest/api/3/...`, as a site does for an API token, and
/// at `/ex/jira/{cloudId}/rest/api/3/...`, as the OAuth gateway does; it enforces a burst limit
/// and a per-issue write limit. State is in memory, seeded deterministically.
/// `docs/sandbox.md` lists where it differs from the real service.
public final class JiraEmulator: Sendable {
    /// How the emulator starts.
    public struct Configuration: Sendable {
        /// The account whose API token is accepted. Defaults to `agent@example.com`.
        public var email = "agent@example.com"
        /// The API token accepted with ``email`` in basic authentication. Defaults to
        /// `sandbox-token`.
        public var apiToken = "sandbox-token"
        /// The site's cloud id in `/ex/jira/{cloudId}/...` paths. Defaults to `sandbox-cloud`.
        public var cloudId = "sandbox-cloud"
        /// Bearer tokens accepted on `/ex/jira/{cloudId}/...` paths besides those the OAuth
        /// flow issues. Defaults to none.
        public var acceptedBearerTokens: Set<String> = []
        /// The id of the OAuth (3LO) client registered.
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
        /// Seconds an OAuth access token lives. Defaults to 3,600.
        public var accessTokenLifetime: Int64 = 3_600
        /// Seconds a replaced refresh token may be reused before its reuse revokes the whole
        /// family. Defaults to 600.
        public var refreshTokenReuseGrace: Int64 = 600
        /// Faults to inject from the start; the admin endpoint changes them later.
        public var faults = FaultSettings()
        /// Attempts at each webhook delivery before it is dropped. Defaults to 5.
        public var webhookAttempts = 5
        /// The pause before the first retry of a delivery; it doubles each time. Defaults to
        /// 200 ms.
        public var webhookRetryPause: Duration = .milliseconds(200)
        /// Requests per minute before the burst limit answers 429; 0 turns it off. Defaults
        /// to 600.
        public var requestsPerMinute = 600
        /// The length of a rate-limit window in seconds: a minute unless set shorter to
        /// measure pacing in less time. The limits are per window.
        public var rateLimitWindowSeconds: Int64 = 60
        /// Writes per minute (per window, when ``rateLimitWindowSeconds`` shortens it) to any one
        /// issue before the per-issue limit answers 429; 0 turns it off. Defaults to 20.
        public var perIssueWritesPerMinute = 20
        /// The seed of the generated data. Defaults to 1.
        public var seed: UInt64 = 1
        /// Issues generated at start. Defaults to 50.
        public var issues = 50
        /// The key of the site's one project. Defaults to `SUP`.
        public var projectKey = "SUP"
        /// Where time comes from.
        public var clock: any SandboxClock = SystemSandboxClock()

        /// The defaults.
        public init() {}
    }

    let configuration: Configuration
    let site: JiraSite
    let state: Mutex<JiraState>
    private let limiter: RateLimiter
    let oauth: OAuthAuthority
    let hooks = Mutex(JiraWebhookRegistry())
    let dispatcher: WebhookDispatcher
    let faults: FaultInjector
    /// Issues' JSON as last rendered, keyed by what changes it.
    let renderings = Mutex<[JiraRenderKey: String]>([:])

    /// Creates the emulator with its seeded issues.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        site = JiraSite(projectKey: configuration.projectKey, email: configuration.email)
        var seeder = JiraSeeder(seed: configuration.seed)
        let issues = seeder.issues(configuration.issues, now: configuration.clock.now())
        state = Mutex(JiraState(issues: issues))
        limiter = RateLimiter(
            limit: configuration.requestsPerMinute,
            windowSeconds: configuration.rateLimitWindowSeconds)
        faults = FaultInjector(configuration.faults)
        dispatcher = WebhookDispatcher(
            maximumAttempts: configuration.webhookAttempts,
            firstPause: configuration.webhookRetryPause)
        var lifetimes = OAuthAuthority.Lifetimes()
        lifetimes.accessToken = configuration.accessTokenLifetime
        lifetimes.refreshToken = 90 * 86_400
        lifetimes.refreshReuseGrace = configuration.refreshTokenReuseGrace
        oauth = OAuthAuthority(
            clients: [
                .init(
                    id: configuration.oauthClientID, secret: configuration.oauthClientSecret,
                    redirectURIs: [configuration.oauthRedirectURI])
            ], lifetimes: lifetimes, clock: configuration.tokenClock ?? configuration.clock,
            seed: configuration.seed ^ 0x7172)
    }

    /// Revokes every OAuth token issued so far, as an administrator would.
    public func revokeAllTokens() {
        oauth.revokeAll()
    }

    /// The routes of the API, to serve on an ``HTTPServer``.
    public var router: Router {
        var router = Router()
        let routes: [(HTTPMethod, String, @Sendable (HTTPRequest) -> HTTPResponse)] = [
            (.post, "/issue/bulk", { [self] in createIssues($0) }),
            (.post, "/issue", { [self] in createIssue($0) }),
            (.get, "/issue/{issueIdOrKey}", { [self] in showIssue($0) }),
            (.put, "/issue/{issueIdOrKey}", { [self] in editIssue($0) }),
            (.delete, "/issue/{issueIdOrKey}", { [self] in deleteIssue($0) }),
            (.get, "/issue/{issueIdOrKey}/transitions", { [self] in listTransitions($0) }),
            (.post, "/issue/{issueIdOrKey}/transitions", { [self] in transitionIssue($0) }),
            (.get, "/search/jql", { [self] in search($0) }),
            (.post, "/search/jql", { [self] in search($0) }),
            (.get, "/field", { [self] in listFields($0) }),
            (.get, "/priority", { [self] in listPriorities($0) }),
            (.get, "/myself", { [self] in showMyself($0) }),
            (.get, "/project", { [self] in listProjects($0) }),
            (.get, "/project/{projectIdOrKey}", { [self] in showProject($0) }),
        ]
        for (method, path, handler) in routes {
            for prefix in ["/rest/api/3", "/ex/jira/{cloudId}/rest/api/3"] {
                router.add(method, prefix + path) { [self] in guarded($0, handler) }
            }
        }
        addOAuthRoutes(to: &router)
        addWebhookRoutes(to: &router)
        faults.addRoutes(to: &router)
        router.add(.post, "/_sandbox/revoke-tokens") { [self] _ in
            revokeAllTokens()
            return HTTPResponse(status: 204)
        }
        return router
    }

    /// The 3LO routes, served here as `auth.atlassian.com` and `api.atlassian.com` serve them:
    /// `/authorize`, `/oauth/token`, and `/oauth/token/accessible-resources`.
    private func addOAuthRoutes(to router: inout Router) {
        router.add(.get, "/authorize") { [self] request in
            oauth.authorize(
                request, autoApprove: configuration.autoApproveConsent, approvePath: "/authorize")
        }
        router.add(.post, "/authorize") { [self] request in
            oauth.authorize(request, autoApprove: true, approvePath: "/authorize")
        }
        router.add(.post, "/oauth/token") { [self] request in
            var response = oauth.token(request)
            // Atlassian spells the token type `Bearer` and answers a refused refresh with 403.
            if response.status == 200,
                case .object(var body) = try? Value(jsonBytes: response.bodyBytes)
            {
                body["token_type"] = "Bearer"
                body["refresh_token_expires_in"] = nil
                // A refresh token comes only with the `offline_access` scope.
                if body["scope"]?.stringValue?.split(separator: " ").contains("offline_access")
                    != true
                {
                    body["refresh_token"] = nil
                }
                let headers = response.headers
                response = .json(.object(body))
                response.headers = headers
            } else if response.status == 400,
                (try? Value(jsonBytes: response.bodyBytes))?["error"] == "invalid_grant"
            {
                response.status = 403
            }
            return response
        }
        router.add(.get, "/oauth/token/accessible-resources") { [self] request in
            guard let header = request.headers["Authorization"], header.hasPrefix("Bearer "),
                oauth.validate(String(header.dropFirst(7)))
            else {
                return JiraErrorCollection.notAuthenticated.response
            }
            let base = "http://\(request.headers["Host"] ?? "127.0.0.1")"
            return .json([
                [
                    "id": .string(configuration.cloudId), "name": "sandbox",
                    "url": .string(base), "scopes": ["read:jira-work", "write:jira-work"],
                    "avatarUrl": .string(base + "/avatar.png"),
                ]
            ])
        }
    }

    // MARK: - Authentication and limits

    /// Checks the site, the credentials and the burst limit, runs `handler`, and adds the
    /// limit headers.
    /// ``guarded(_:_:)`` for routes defined in other files.
    func guardedRoute(_ request: HTTPRequest, _ handler: (HTTPRequest) -> HTTPResponse)
        -> HTTPResponse
    {
        guarded(request, handler)
    }

    private func guarded(
        _ request: HTTPRequest, _ handler: (HTTPRequest) -> HTTPResponse
    ) -> HTTPResponse {
        let viaGateway = request.parameters["cloudId"] != nil
        if let cloudId = request.parameters["cloudId"], cloudId != configuration.cloudId {
            return JiraErrorCollection(
                status: 404, message: "No Jira site has the cloud id '\(cloudId)'."
            ).response
        }
        guard isAuthorised(request, viaGateway: viaGateway) else {
            return JiraErrorCollection.notAuthenticated.response
        }
        let now = configuration.clock.now()
        var budget = limiter.spend(at: now)
        var response: HTTPResponse
        switch faults.drawForRequest() {
        case .serverError:
            return JiraErrorCollection(
                status: 503, message: "The service is unavailable; try again later."
            ).response
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
            response = JiraErrorCollection(status: 429, message: "Rate limit exceeded.").response
            response.headers.set(
                "Retry-After",
                budget.secondsToReset(at: now, window: configuration.rateLimitWindowSeconds))
            response.headers.set("RateLimit-Reason", "jira-burst-based")
        }
        if limiter.limit > 0 && response.headers["RateLimit-Reason"] != "jira-per-issue-on-write" {
            Self.setLimitHeaders(
                &response, limit: limiter.limit, decision: budget, now: now)
        }
        return response
    }

    private static func setLimitHeaders(
        _ response: inout HTTPResponse, limit: Int, decision: RateLimiter.Decision,
        now: Timestamp
    ) {
        let reset = Timestamp(secondsSinceEpoch: now.unixSeconds + decision.resetIn)
        response.headers.set("X-RateLimit-Limit", String(limit))
        response.headers.set("X-RateLimit-Remaining", String(decision.remaining))
        response.headers.set("X-RateLimit-Reset", reset.secondsText)
        if decision.remaining * 5 < limit {
            response.headers.set("X-RateLimit-NearLimit", "true")
        }
    }

    /// Basic authentication with the email and API token anywhere; a listed bearer token on
    /// the gateway's paths only.
    private func isAuthorised(_ request: HTTPRequest, viaGateway: Bool) -> Bool {
        guard let header = request.headers["Authorization"] else {
            return false
        }
        if header.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6)))
        {
            let expected = "\(configuration.email):\(configuration.apiToken)"
            return String(decoding: decoded, as: UTF8.self) == expected
        }
        if viaGateway && header.hasPrefix("Bearer ") {
            let token = String(header.dropFirst(7))
            return configuration.acceptedBearerTokens.contains(token) || oauth.validate(token)
        }
        return false
    }

    /// Spends one write on issue `id`; the 429 to answer when its budget is gone.
    private func perIssueRefusal(_ id: Int64) -> HTTPResponse? {
        let limit = configuration.perIssueWritesPerMinute
        guard limit > 0 else {
            return nil
        }
        let now = configuration.clock.now()
        let decision = state.withLock {
            $0.spendWrite(
                on: id, limit: limit, at: now, length: configuration.rateLimitWindowSeconds)
        }
        guard !decision.allowed else {
            return nil
        }
        var response = JiraErrorCollection(
            status: 429, message: "Too many writes to this issue; retry later."
        ).response
        Self.setLimitHeaders(&response, limit: limit, decision: decision, now: now)
        response.headers.set(
            "Retry-After",
            decision.secondsToReset(at: now, window: configuration.rateLimitWindowSeconds))
        response.headers.set("RateLimit-Reason", "jira-per-issue-on-write")
        return response
    }

    /// `http://host:port`, with the gateway's `/ex/jira/{cloudId}` when the request came that
    /// way: the root of the `self` URLs in responses.
    func baseURL(_ request: HTTPRequest) -> String {
        let host = "http://\(request.headers["Host"] ?? "127.0.0.1")"
        guard let cloudId = request.parameters["cloudId"] else {
            return host
        }
        return "\(host)/ex/jira/\(cloudId)"
    }

    // MARK: - Issues

    private func createIssue(_ request: HTTPRequest) -> HTTPResponse {
        let body: ValueObject
        switch Self.body(request) {
        case .failure(let refusal): return refusal.response
        case .success(let object): body = object
        }
        let base = baseURL(request)
        let now = configuration.clock.now()
        let result = state.withLock { state in
            state.create(
                fields: body["fields"]?.objectValue ?? [:],
                update: body["update"]?.objectValue ?? [:], site: site, now: now)
        }
        switch result {
        case .failure(let errors): return errors.response
        case .success(let issue):
            announce("jira:issue_created", issue, baseURL: base)
            return .json(reference(to: issue, baseURL: base), status: 201)
        }
    }

    private func createIssues(_ request: HTTPRequest) -> HTTPResponse {
        let body: ValueObject
        switch Self.body(request) {
        case .failure(let refusal): return refusal.response
        case .success(let object): body = object
        }
        guard case .array(let updates)? = body["issueUpdates"] else {
            return JiraErrorCollection(message: "issueUpdates must be a list of issues.").response
        }
        guard updates.count <= 50 else {
            return JiraErrorCollection(
                message: "Bulk create takes at most 50 issues; this request has \(updates.count)."
            ).response
        }
        let base = baseURL(request)
        let now = configuration.clock.now()
        var created: [Value] = []
        var failed: [Value] = []
        state.withLock { state in
            for (index, update) in updates.enumerated() {
                let result = state.create(
                    fields: update["fields"]?.objectValue ?? [:],
                    update: update["update"]?.objectValue ?? [:], site: site, now: now)
                switch result {
                case .success(let issue):
                    created.append(reference(to: issue, baseURL: base))
                case .failure(let errors):
                    var elementErrors = errors.json.objectValue ?? [:]
                    elementErrors["status"] = .integer(Int64(errors.status))
                    failed.append([
                        "status": .integer(Int64(errors.status)),
                        "elementErrors": .object(elementErrors),
                        "failedElementNumber": .integer(Int64(index)),
                    ])
                }
            }
        }
        let status = created.isEmpty && !failed.isEmpty ? 400 : 201
        return .json(["issues": .array(created), "errors": .array(failed)], status: status)
    }

    private func showIssue(_ request: HTTPRequest) -> HTTPResponse {
        guard let issue = findIssue(request) else {
            return JiraErrorCollection.issueNotFound.response
        }
        return .json(render(issue, request))
    }

    private func editIssue(_ request: HTTPRequest) -> HTTPResponse {
        guard let id = findIssue(request)?.id else {
            return JiraErrorCollection.issueNotFound.response
        }
        if let refusal = perIssueRefusal(id) {
            return refusal
        }
        let body: ValueObject
        switch Self.body(request) {
        case .failure(let refusal): return refusal.response
        case .success(let object): body = object
        }
        let now = configuration.clock.now()
        let result = state.withLock { state in
            state.edit(
                id, fields: body["fields"]?.objectValue ?? [:],
                update: body["update"]?.objectValue ?? [:], now: now)
        }
        switch result {
        case .failure(let errors):
            return errors.response
        case .success(let issue):
            announce("jira:issue_updated", issue, baseURL: baseURL(request))
            guard request.query("returnIssue") == "true" else {
                return HTTPResponse(status: 204)
            }
            return .json(render(issue, request))
        }
    }

    private func deleteIssue(_ request: HTTPRequest) -> HTTPResponse {
        guard let id = findIssue(request)?.id else {
            return JiraErrorCollection.issueNotFound.response
        }
        if let refusal = perIssueRefusal(id) {
            return refusal
        }
        let existing = findIssue(request)
        let deleted = state.withLock { $0.delete(id) }
        guard deleted, let existing else {
            return JiraErrorCollection.issueNotFound.response
        }
        announce("jira:issue_deleted", existing, baseURL: baseURL(request))
        return HTTPResponse(status: 204)
    }

    private func listTransitions(_ request: HTTPRequest) -> HTTPResponse {
        guard let issue = findIssue(request) else {
            return JiraErrorCollection.issueNotFound.response
        }
        let base = baseURL(request)
        let wanted = request.query("transitionId")
        let available = JiraCatalog.transitions.filter { transition in
            transition.from.contains(issue.statusID) && (wanted == nil || wanted == transition.id)
        }
        return .json([
            "expand": "transitions",
            "transitions": .array(available.map { $0.json(baseURL: base) }),
        ])
    }

    private func transitionIssue(_ request: HTTPRequest) -> HTTPResponse {
        guard let id = findIssue(request)?.id else {
            return JiraErrorCollection.issueNotFound.response
        }
        if let refusal = perIssueRefusal(id) {
            return refusal
        }
        let body: ValueObject
        switch Self.body(request) {
        case .failure(let refusal): return refusal.response
        case .success(let object): body = object
        }
        let transition = body["transition"]?["id"]
        guard
            let transitionID = transition?.stringValue ?? transition?.integerValue.map(String.init)
        else {
            return JiraErrorCollection(message: "Missing 'transition' identifier").response
        }
        let now = configuration.clock.now()
        let result = state.withLock { state in
            state.transition(
                id, transitionID: transitionID, fields: body["fields"]?.objectValue ?? [:],
                update: body["update"]?.objectValue ?? [:], now: now)
        }
        switch result {
        case .failure(let errors): return errors.response
        case .success(let issue):
            announce("jira:issue_updated", issue, baseURL: baseURL(request))
            return HTTPResponse(status: 204)
        }
    }

    // MARK: - Shapes

    private func findIssue(_ request: HTTPRequest) -> JiraIssue? {
        let reference = request.parameters["issueIdOrKey"] ?? ""
        return state.withLock { $0.issue(reference, projectKey: site.projectKey) }
    }

    /// `{"id", "key", "self"}`, as create answers.
    private func reference(to issue: JiraIssue, baseURL: String) -> Value {
        [
            "id": .string(String(issue.id)), "key": .string(issue.key(site.projectKey)),
            "self": .string("\(baseURL)/rest/api/3/issue/\(issue.id)"),
        ]
    }

    /// The JSON text of the issue with the fields and expansions the request's query asks for
    /// (all fields by default).
    private func render(_ issue: JiraIssue, _ request: HTTPRequest) -> String {
        rendered(
            issue, baseURL: baseURL(request),
            selection: JiraFieldSelection(Self.queryValues(request, "fields"), fallback: .all),
            expand: Self.expansions(Self.queryValues(request, "expand")),
            drifted: faults.settings.schemaDrift)
    }

    /// `issue` as a changed schema would show it: the `Highest` priority renamed `Blocker`,
    /// and a custom field nobody documented.
    static func drifted(_ issue: Value) -> Value {
        guard case .object(var object) = issue, case .object(var fields)? = object["fields"]
        else {
            return issue
        }
        if case .object(var priority)? = fields["priority"], priority["name"] == "Highest" {
            priority["name"] = "Blocker"
            fields["priority"] = .object(priority)
        }
        fields["customfield_19999"] = "undocumented"
        object["fields"] = .object(fields)
        return .object(object)
    }

    /// The names in one or more comma-separated `expand` lists.
    static func expansions(_ lists: [String]) -> Set<String> {
        Set(
            lists.flatMap { $0.split(separator: ",") }.map {
                $0.trimmingCharacters(in: .whitespaces)
            })
    }

    /// The body as a JSON object, or Jira's answer to one that is not.
    static func body(_ request: HTTPRequest) -> Result<ValueObject, JiraErrorCollection> {
        request.jsonObject().mapError { JiraErrorCollection(message: $0.reason) }
    }

    /// Every value of the query argument `name`, in order.
    static func queryValues(_ request: HTTPRequest, _ name: String) -> [String] {
        request.query.filter { $0.name == name }.map(\.value)
    }
}
