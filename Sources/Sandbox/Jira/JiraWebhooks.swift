import Foundation
import HTTPServer
import Ledger
import Synchronization

/// A webhook registered with the Jira emulator: a dynamic one (registered through
/// `/rest/api/3/webhook`, expiring after 30 days unless refreshed) or an admin one (registered
/// through `/rest/webhooks/1.0/webhook`, signed when it has a secret).
struct JiraWebhook: Sendable {
    var id: Int64
    var url: String
    var events: Set<String>
    var jql: String
    var expires: Timestamp?
    var secret: String?
    var name: String?

    static let events: Set<String> = [
        "jira:issue_created", "jira:issue_updated", "jira:issue_deleted",
    ]
    static let lifetime: Int64 = 30 * 86_400
}

/// The webhooks of a Jira emulator and the next id to give one.
struct JiraWebhookRegistry: Sendable {
    var hooks: [Int64: JiraWebhook] = [:]
    var nextID: Int64 = 1_000
    var nextDelivery: Int64 = 0
}

extension JiraEmulator {
    func addWebhookRoutes(to router: inout Router) {
        for prefix in ["/rest/api/3", "/ex/jira/{cloudId}/rest/api/3"] {
            router.add(.post, prefix + "/webhook") { [self] in guardedRoute($0, registerDynamic) }
            router.add(.get, prefix + "/webhook") { [self] in guardedRoute($0, listDynamic) }
            router.add(.delete, prefix + "/webhook") { [self] in guardedRoute($0, deleteDynamic) }
            router.add(.put, prefix + "/webhook/refresh") { [self] in
                guardedRoute($0, refreshDynamic)
            }
        }
        router.add(.post, "/rest/webhooks/1.0/webhook") { [self] in
            guardedRoute($0, registerAdmin)
        }
        router.add(.get, "/rest/webhooks/1.0/webhook") { [self] in
            guardedRoute($0, listAdmin)
        }
        router.add(.delete, "/rest/webhooks/1.0/webhook/{id}") { [self] in
            guardedRoute($0, deleteAdmin)
        }
    }

    /// Webhook calls delivered, retried and given up on.
    public var webhookDeliveries: (delivered: Int, retried: Int, failed: Int) {
        let counts = dispatcher.counts
        return (counts.delivered, counts.retried, counts.failed)
    }

    // MARK: - Registration

    private func registerDynamic(_ request: HTTPRequest) -> HTTPResponse {
        guard case .success(let body) = request.jsonObject(),
            let url = body["url"]?.stringValue, Self.isWebURL(url),
            case .array(let entries)? = body["webhooks"]
        else {
            return JiraErrorCollection(
                message: "A webhook registration needs a url and a list of webhooks."
            ).response
        }
        let expires = Timestamp(
            secondsSinceEpoch: configuration.clock.now().unixSeconds + JiraWebhook.lifetime)
        var results: [Value] = []
        for entry in entries {
            let events = Set(entry["events"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            let jql = entry["jqlFilter"]?.stringValue ?? ""
            if let problem = Self.check(events: events, jql: jql) {
                results.append(["errors": [.string(problem)]])
                continue
            }
            let id = hooks.withLock { registry -> Int64 in
                registry.nextID += 1
                registry.hooks[registry.nextID] = JiraWebhook(
                    id: registry.nextID, url: url, events: events, jql: jql, expires: expires,
                    secret: nil, name: nil)
                return registry.nextID
            }
            results.append(["createdWebhookId": .integer(id)])
        }
        return .json(["webhookRegistrationResult": .array(results)])
    }

    private func registerAdmin(_ request: HTTPRequest) -> HTTPResponse {
        guard case .success(let body) = request.jsonObject(),
            let url = body["url"]?.stringValue, Self.isWebURL(url)
        else {
            return JiraErrorCollection(message: "A webhook needs a url.").response
        }
        let events = Set(body["events"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let jql = body["filters"]?["issue-related-events-section"]?.stringValue ?? ""
        if let problem = Self.check(events: events, jql: jql, requireJQL: false) {
            return JiraErrorCollection(message: problem).response
        }
        let hook = hooks.withLock { registry -> JiraWebhook in
            registry.nextID += 1
            let hook = JiraWebhook(
                id: registry.nextID, url: url, events: events, jql: jql, expires: nil,
                secret: body["secret"]?.stringValue,
                name: body["name"]?.stringValue ?? "Webhook")
            registry.hooks[hook.id] = hook
            return hook
        }
        let base = "http://\(request.headers["Host"] ?? "127.0.0.1")"
        return .json(
            [
                "self": .string("\(base)/rest/webhooks/1.0/webhook/\(hook.id)"),
                "name": .string(hook.name ?? ""), "url": .string(url),
                "events": .array(hook.events.sorted().map(Value.string)),
                "filters": ["issue-related-events-section": .string(jql)], "enabled": true,
            ], status: 201)
    }

    /// The admin webhooks, as Jira lists them: never with their secrets.
    private func listAdmin(_ request: HTTPRequest) -> HTTPResponse {
        let admin = hooks.withLock { $0.hooks.values.filter { $0.expires == nil } }
            .sorted { $0.id < $1.id }
        let base = "http://\(request.headers["Host"] ?? "127.0.0.1")"
        return .json(
            .array(
                admin.map { hook in
                    [
                        "self": .string("\(base)/rest/webhooks/1.0/webhook/\(hook.id)"),
                        "name": .string(hook.name ?? ""), "url": .string(hook.url),
                        "events": .array(hook.events.sorted().map(Value.string)),
                        "filters": ["issue-related-events-section": .string(hook.jql)],
                        "enabled": true,
                    ]
                }))
    }

    private func deleteAdmin(_ request: HTTPRequest) -> HTTPResponse {
        let id = Int64(request.parameters["id"] ?? "")
        let removed = hooks.withLock { registry -> Bool in
            guard let id, registry.hooks[id]?.expires == nil else {
                return false
            }
            return registry.hooks.removeValue(forKey: id) != nil
        }
        return removed
            ? HTTPResponse(status: 204)
            : JiraErrorCollection(status: 404, message: "No webhook with this id exists.").response
    }

    private func listDynamic(_ request: HTTPRequest) -> HTTPResponse {
        let dynamic = hooks.withLock { $0.hooks.values.filter { $0.expires != nil } }
            .sorted { $0.id < $1.id }
        return .json([
            "startAt": 0, "maxResults": 100, "total": .integer(Int64(dynamic.count)),
            "isLast": true,
            "values": .array(
                dynamic.map { hook in
                    [
                        "id": .integer(hook.id), "jqlFilter": .string(hook.jql),
                        "events": .array(hook.events.sorted().map(Value.string)),
                        "expirationDate": .integer(hook.expires!.unixSeconds * 1_000),
                    ]
                }),
        ])
    }

    private func deleteDynamic(_ request: HTTPRequest) -> HTTPResponse {
        let ids = Self.webhookIDs(request)
        hooks.withLock { registry in
            for id in ids {
                registry.hooks[id] = nil
            }
        }
        return HTTPResponse(status: 202)
    }

    private func refreshDynamic(_ request: HTTPRequest) -> HTTPResponse {
        let ids = Self.webhookIDs(request)
        let expires = Timestamp(
            secondsSinceEpoch: configuration.clock.now().unixSeconds + JiraWebhook.lifetime)
        hooks.withLock { registry in
            for id in ids where registry.hooks[id]?.expires != nil {
                registry.hooks[id]?.expires = expires
            }
        }
        return .json(["expirationDate": .integer(expires.unixSeconds * 1_000)])
    }

    private static func webhookIDs(_ request: HTTPRequest) -> [Int64] {
        guard case .success(let body) = request.jsonObject() else {
            return []
        }
        return body["webhookIds"]?.arrayValue?.compactMap(\.integerValue) ?? []
    }

    private static func isWebURL(_ text: String) -> Bool {
        guard let url = URLComponents(string: text) else {
            return false
        }
        return (url.scheme == "http" || url.scheme == "https") && url.host != nil
    }

    /// Why a registration is refused, if it is.
    private static func check(events: Set<String>, jql: String, requireJQL: Bool = true)
        -> String?
    {
        if events.isEmpty || !events.isSubset(of: JiraWebhook.events) {
            return "Events must be some of " + JiraWebhook.events.sorted().joined(separator: ", ")
        }
        if requireJQL && jql.isEmpty {
            return "A dynamic webhook needs a jqlFilter."
        }
        if !jql.isEmpty {
            do {
                _ = try JiraQuery(parsing: jql)
            } catch {
                return "Invalid JQL filter: \(error.message)"
            }
        }
        return nil
    }

    // MARK: - Deliveries

    /// Queues a delivery of `event` about `issue` to each webhook that wants it: registered
    /// for the event, not expired, and whose filter admits the issue.
    func announce(_ event: String, _ issue: JiraIssue, baseURL: String) {
        let now = configuration.clock.now()
        let targets = hooks.withLock { registry -> [(JiraWebhook, Int64)] in
            registry.hooks.values.sorted { $0.id < $1.id }.compactMap { hook in
                guard hook.events.contains(event), hook.expires.map({ $0 > now }) ?? true,
                    admits(hook.jql, issue, now: now)
                else {
                    return nil
                }
                registry.nextDelivery += 1
                return (hook, registry.nextDelivery)
            }
        }
        guard !targets.isEmpty else {
            return
        }
        var payload: ValueObject = [
            "timestamp": .integer(now.microseconds / 1_000), "webhookEvent": .string(event),
            "issue_event_type_name": .string(
                event == "jira:issue_created"
                    ? "issue_created"
                    : event == "jira:issue_deleted" ? "issue_deleted" : "issue_updated"),
            "user": site.userJSON(baseURL: baseURL),
            "issue": issue.json(site: site, baseURL: baseURL, selection: .all, expand: []),
        ]
        if event == "jira:issue_updated", let last = issue.histories.last {
            payload["changelog"] = [
                "id": .string(String(last.id)), "items": .array(last.items.map { $0.json() }),
            ]
        }
        let body = Array(Value.object(payload).json.utf8)
        for (hook, delivery) in targets {
            var headers = [
                ("Content-Type", "application/json"),
                ("X-Atlassian-Webhook-Identifier", "\(hook.id)-\(delivery)"),
            ]
            if let secret = hook.secret {
                let code = HMACSHA256.authenticate(body, key: Array(secret.utf8))
                headers.append(("X-Hub-Signature", "sha256=" + code.hexadecimal))
            }
            for _ in 0..<faults.drawDeliveryCopies() {
                dispatcher.enqueue(
                    WebhookDispatcher.Delivery(url: hook.url, headers: headers, body: body))
            }
        }
    }

    private func admits(_ jql: String, _ issue: JiraIssue, now: Timestamp) -> Bool {
        guard !jql.isEmpty else {
            return true
        }
        guard let query = try? JiraQuery(parsing: jql),
            let matched = try? query.run(on: [issue], site: site, now: now)
        else {
            return false
        }
        return !matched.isEmpty
    }
}
