import Ledger
import Reconcile

/// Records as MCP resources: `syncledger://record/<connection>:<type>/<id>`, read as the JSON
/// `get_record` answers. Listing and reading are decided, budgeted and recorded as
/// `get_record` calls are, under the tool names `resources/list` and `resources/read`.
extension AgentGateway {
    /// The URI of `record`.
    public static func uri(of record: RecordReference) -> String {
        "syncledger://record/\(record)"
    }

    /// The records the principal may read, `pageSize` at a time from `cursor` (the last URI of
    /// the page before).
    public func listResources(after cursor: String?, pageSize: Int = 100) async throws -> (
        uris: [(uri: String, name: String)], next: String?
    ) {
        let digest = Digest.sha256(Value.string(cursor ?? "").encoded).description
        let granted = decisions.decide(principal: principal, tool: GatewayTool.getRecord.rawValue)
        if granted.allowed, let exhausted = budgets.spend(principal: principal, tool: "get_record")
        {
            let decision = Self.overBudget(exhausted)
            try await record("resources/list", digest: digest, record: nil, decision)
            throw ResourceError.refused(decision)
        }
        try await record("resources/list", digest: digest, record: nil, granted)
        guard granted.allowed else {
            throw ResourceError.refused(granted)
        }
        try catchUp()
        let queries = SyncQueries(store)
        var page: [(uri: String, name: String)] = []
        for set in try recordSets(queries) {
            for (record, state) in try queries.records(in: set) {
                let uri = Self.uri(of: record)
                if let cursor, uri <= cursor {
                    continue
                }
                guard see(record, state, .getRecord).allowed else {
                    continue
                }
                if page.count == pageSize {
                    return (page, page.last?.uri)
                }
                page.append((uri, record.description))
            }
        }
        return (page, nil)
    }

    /// The record at `uri`, as JSON text.
    public func readResource(_ uri: String) async throws -> String {
        let digest = Digest.sha256(Value.string(uri).encoded).description
        let prefix = "syncledger://record/"
        guard uri.hasPrefix(prefix), let record = RecordReference(uri.dropFirst(prefix.count))
        else {
            try await record(
                "resources/read", digest: digest, record: nil,
                Decision(allowed: false, rule: "resources", reason: "no resource at \(uri)"))
            throw ResourceError.notFound(uri)
        }
        try catchUp()
        let queries = SyncQueries(store)
        let state = try queries.record(record)
        var decision = see(record, state, .getRecord)
        if decision.allowed, let exhausted = budgets.spend(principal: principal, tool: "get_record")
        {
            decision = Self.overBudget(exhausted)
        }
        try await self.record("resources/read", digest: digest, record: record, decision)
        guard decision.allowed else {
            throw ResourceError.refused(decision)
        }
        guard let state else {
            throw ResourceError.notFound(uri)
        }
        return try recordContent(record, state, queries: queries).json
    }
}

/// A resource that cannot be listed or read.
public enum ResourceError: Error, Sendable, Equatable {
    /// No record answers to the URI.
    case notFound(String)
    /// The policy or a budget refused.
    case refused(Decision)
}
