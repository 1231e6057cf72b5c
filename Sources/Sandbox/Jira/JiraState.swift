import Ledger

/// What the Jira emulator holds: its issues, the counters that number new ones, and the
/// per-issue write budgets.
struct JiraState: Sendable {
    /// Live issues by id; a deleted issue is removed.
    var issues: [Int64: JiraIssue] = [:] {
        didSet {
            ordered = nil
            revision += 1
        }
    }
    /// ``issues`` in id order, kept until they change: every page of a search reads them all.
    private var ordered: [JiraIssue]?
    /// Counts the changes to ``issues``, so that what was derived from them can tell whether
    /// it still holds.
    private(set) var revision = 0
    /// The positions in ``liveIssues()`` the last search's JQL selected, and the revision they
    /// were found at: the following pages of a search run the same query.
    private var lastSearch: (jql: String, revision: Int, positions: [Int])?
    /// Each issue's id by its number, for lookups by key; a number never changes.
    private var idsByNumber: [Int64: Int64] = [:]
    var nextIssueID: Int64
    var nextIssueNumber: Int64
    var nextHistoryID: Int64
    private var writeWindows: [Int64: WriteWindow] = [:]

    private struct WriteWindow {
        var start: Int64
        var used: Int
    }

    init(issues: [JiraIssue]) {
        for issue in issues {
            self.issues[issue.id] = issue
            idsByNumber[issue.number] = issue.id
        }
        nextIssueID = (issues.map(\.id).max() ?? 9_999) + 1
        nextIssueNumber = (issues.map(\.number).max() ?? 0) + 1
        nextHistoryID = (issues.flatMap(\.histories).map(\.id).max() ?? 19_999) + 1
    }

    /// The positions `jql` selected when the issues were last searched, if they have not
    /// changed since.
    func positions(selectedBy jql: String) -> [Int]? {
        guard let lastSearch, lastSearch.jql == jql, lastSearch.revision == revision else {
            return nil
        }
        return lastSearch.positions
    }

    /// Keeps the positions `jql` selected at `revision`, unless the issues changed since.
    mutating func remember(_ positions: [Int], selectedBy jql: String, at revision: Int) {
        if revision == self.revision {
            lastSearch = (jql, revision, positions)
        }
    }

    /// Live issues in id order.
    mutating func liveIssues() -> [JiraIssue] {
        if let ordered {
            return ordered
        }
        let sorted = issues.keys.sorted().map { issues[$0]! }
        ordered = sorted
        return sorted
    }

    /// The issue that `reference` names: a numeric id, or a key such as `SUP-7` in any case.
    func issue(_ reference: String, projectKey: String) -> JiraIssue? {
        if let id = Int64(reference) {
            return issues[id]
        }
        guard let number = Self.number(inKey: reference, projectKey: projectKey) else {
            return nil
        }
        return idsByNumber[number].flatMap { issues[$0] }
    }

    /// The number in `key` when it is a key of the project: 7 for `SUP-7` or `sup-7`.
    static func number(inKey key: String, projectKey: String) -> Int64? {
        let prefix = projectKey.uppercased() + "-"
        let upper = key.uppercased()
        guard upper.hasPrefix(prefix), let number = Int64(upper.dropFirst(prefix.count)),
            number > 0
        else {
            return nil
        }
        return number
    }

    // MARK: - Writes

    /// Creates an issue from a request's `fields` and `update`, or says what was wrong.
    mutating func create(
        fields: ValueObject, update: ValueObject, site: JiraSite, now: Timestamp
    ) -> Result<JiraIssue, JiraErrorCollection> {
        var errors = JiraErrorCollection()
        let project = fields["project"]
        let namesProject =
            project?["key"]?.stringValue?.uppercased() == site.projectKey.uppercased()
            || project?["id"]?.stringValue == site.projectID
        if !namesProject {
            errors.fieldErrors["project"] =
                project == nil ? "Specify a valid project ID or key" : "valid project is required"
        }
        let issueType = JiraCatalog.resolve(fields["issuetype"], in: JiraCatalog.issueTypes)
        if issueType == nil {
            errors.fieldErrors["issuetype"] =
                fields["issuetype"] == nil
                ? "Specify an issue type" : "valid issue type is required"
        }
        if fields["summary"] == nil && update["summary"] == nil {
            errors.fieldErrors["summary"] = "You must specify a summary of the issue."
        }
        var issue = JiraIssue(
            id: nextIssueID, number: nextIssueNumber, summary: "", description: .null,
            issueTypeID: issueType?.id ?? JiraCatalog.issueTypes[0].id,
            priorityID: JiraCatalog.defaultPriority.id, statusID: JiraCatalog.toDo.id,
            labels: [], customFields: [:], created: now, updated: now, resolutionDate: nil,
            histories: [])
        var settable = fields
        settable["project"] = nil
        settable["issuetype"] = nil
        JiraFieldEditor.apply(fields: settable, update: update, to: &issue, errors: &errors)
        guard errors.isEmpty else {
            return .failure(errors)
        }
        nextIssueID += 1
        nextIssueNumber += 1
        issues[issue.id] = issue
        idsByNumber[issue.number] = issue.id
        return .success(issue)
    }

    /// Edits an issue's fields, recording what changed in its history.
    mutating func edit(
        _ id: Int64, fields: ValueObject, update: ValueObject, now: Timestamp
    ) -> Result<JiraIssue, JiraErrorCollection> {
        guard let original = issues[id] else {
            return .failure(.issueNotFound)
        }
        var edited = original
        var errors = JiraErrorCollection()
        JiraFieldEditor.apply(fields: fields, update: update, to: &edited, errors: &errors)
        guard errors.isEmpty else {
            return .failure(errors)
        }
        return .success(record(edited, replacing: original, now: now))
    }

    /// Moves an issue along the workflow by a transition id, applying any fields sent with it.
    mutating func transition(
        _ id: Int64, transitionID: String, fields: ValueObject, update: ValueObject,
        now: Timestamp
    ) -> Result<JiraIssue, JiraErrorCollection> {
        guard let original = issues[id] else {
            return .failure(.issueNotFound)
        }
        guard
            let transition = JiraCatalog.transitions.first(where: {
                $0.id == transitionID && $0.from.contains(original.statusID)
            })
        else {
            return .failure(
                JiraErrorCollection(
                    message: "Transition id '\(transitionID)' is not valid for this issue."))
        }
        var moved = original
        var errors = JiraErrorCollection()
        JiraFieldEditor.apply(fields: fields, update: update, to: &moved, errors: &errors)
        guard errors.isEmpty else {
            return .failure(errors)
        }
        moved.statusID = transition.to.id
        moved.resolutionDate = transition.to == JiraCatalog.done ? now : nil
        return .success(record(moved, replacing: original, now: now))
    }

    /// Removes an issue; `false` when there was none.
    mutating func delete(_ id: Int64) -> Bool {
        writeWindows[id] = nil
        guard let removed = issues.removeValue(forKey: id) else {
            return false
        }
        idsByNumber[removed.number] = nil
        return true
    }

    /// Stores `changed`, adding a history entry and moving `updated` when a field differs.
    private mutating func record(
        _ changed: JiraIssue, replacing original: JiraIssue, now: Timestamp
    ) -> JiraIssue {
        var issue = changed
        let items = JiraFieldEditor.changes(from: original, to: issue)
        if !items.isEmpty {
            issue.histories.append(JiraHistory(id: nextHistoryID, created: now, items: items))
            nextHistoryID += 1
            issue.updated = now
        }
        issues[issue.id] = issue
        return issue
    }

    // MARK: - Per-issue write limit

    /// Spends one write on issue `id` from a budget of `limit` per window of `length` seconds
    /// (a minute, unless shortened with the other limits).
    mutating func spendWrite(on id: Int64, limit: Int, at time: Timestamp, length: Int64 = 60)
        -> RateLimiter.Decision
    {
        let second = time.unixSeconds
        let length = max(length, 1)
        let start = second - ((second % length) + length) % length
        var window = writeWindows[id] ?? WriteWindow(start: start, used: 0)
        if window.start != start {
            window = WriteWindow(start: start, used: 0)
        }
        let resetIn = start + length - second
        guard window.used < limit else {
            return RateLimiter.Decision(allowed: false, remaining: 0, resetIn: resetIn)
        }
        window.used += 1
        writeWindows[id] = window
        return RateLimiter.Decision(allowed: true, remaining: limit - window.used, resetIn: resetIn)
    }
}
