import Ledger

extension JiraQuery {
    /// The issues among `issues` that every clause admits, in the query's order (by key when
    /// it names none).
    ///
    /// - Throws: ``Problem`` for a value Jira would refuse: an unknown project, status,
    ///   priority or issue type, a key of no issue, a date it cannot read, or an operator the
    ///   field does not take.
    func run(on issues: [JiraIssue], site: JiraSite, now: Timestamp) throws(JiraQuery.Problem)
        -> [JiraIssue]
    {
        try positions(in: issues, site: site, now: now).map { issues[$0] }
    }

    /// The positions in `issues` of those the query selects, in its order: a page can then
    /// copy only its own issues.
    func positions(in issues: [JiraIssue], site: JiraSite, now: Timestamp)
        throws(JiraQuery.Problem) -> [Int]
    {
        var predicates: [(JiraIssue) -> Bool] = []
        for clause in clauses {
            predicates.append(try clause.predicate(issues: issues, site: site, now: now))
        }
        // Sorted by small keys and positions rather than whole issues: a search runs for every
        // page, over every issue.
        var keys: [(position: Int, updated: Int64, created: Int64, number: Int64)] = []
        for position in issues.indices where predicates.allSatisfy({ $0(issues[position]) }) {
            keys.append(
                (
                    position, issues[position].updated.microseconds,
                    issues[position].created.microseconds, issues[position].number
                ))
        }
        keys.sort { left, right in
            for order in ordering {
                let (a, b) = order.ascending ? (left, right) : (right, left)
                switch order.key {
                case .updated where a.updated != b.updated:
                    return a.updated < b.updated
                case .created where a.created != b.created:
                    return a.created < b.created
                case .key where a.number != b.number:
                    return a.number < b.number
                default:
                    continue
                }
            }
            return left.number < right.number
        }
        return keys.map(\.position)
    }
}

extension JiraQuery {
    /// The issues the query can select from, as written in its key clauses, when one of them
    /// is `key =` or `key in`: only those issues can match, and the other key clauses' issues
    /// must exist. `nil` when the query may select any issue.
    var namedIssues: [String]? {
        let keyClauses = clauses.filter { if case .key = $0.field { true } else { false } }
        guard keyClauses.contains(where: { [.equal, .in].contains($0.comparison) }) else {
            return nil
        }
        return keyClauses.flatMap(\.operands)
    }

    /// Whether what the query selects depends on when it runs: a date given as a period such
    /// as `-5m`.
    var isRelativeToNow: Bool {
        clauses.contains { clause in
            switch clause.field {
            case .updated, .created: clause.operands.contains { JiraQuery.Clause.period($0) != nil }
            default: false
            }
        }
    }
}

extension JiraQuery.Clause {
    /// A test of one issue against this clause, once its operands are checked.
    fileprivate func predicate(issues: [JiraIssue], site: JiraSite, now: Timestamp)
        throws(JiraQuery.Problem) -> (JiraIssue) -> Bool
    {
        switch field {
        case .project:
            try allow([.equal, .notEqual, .in, .notIn])
            for operand in operands {
                let known = [site.projectKey, site.projectID, site.projectName].contains {
                    $0.lowercased() == operand.lowercased()
                }
                guard known else {
                    throw valueDoesNotExist(operand)
                }
            }
            let included = isPositive
            return { _ in included }
        case .key:
            try allow([
                .equal, .notEqual, .in, .notIn, .greater, .greaterOrEqual, .less, .lessOrEqual,
            ])
            var numbers: [Int64] = []
            for operand in operands {
                numbers.append(try number(ofIssue: operand, issues: issues, site: site))
            }
            let comparison = self.comparison
            let members = Set(numbers)
            return { issue in
                switch comparison {
                case .greater: issue.number > numbers[0]
                case .greaterOrEqual: issue.number >= numbers[0]
                case .less: issue.number < numbers[0]
                case .lessOrEqual: issue.number <= numbers[0]
                case .notEqual, .notIn: !members.contains(issue.number)
                default: members.contains(issue.number)
                }
            }
        case .updated, .created:
            try allow([.equal, .notEqual, .greater, .greaterOrEqual, .less, .lessOrEqual])
            let instant = try Self.date(operands[0], field: fieldName, now: now)
            let isUpdated = if case .updated = field { true } else { false }
            let comparison = self.comparison
            return { issue in
                let time = isUpdated ? issue.updated : issue.created
                return switch comparison {
                case .greater: time > instant
                case .greaterOrEqual: time >= instant
                case .less: time < instant
                case .lessOrEqual: time <= instant
                case .notEqual: time != instant
                default: time == instant
                }
            }
        case .status:
            try allow([.equal, .notEqual, .in, .notIn])
            let named = JiraCatalog.statuses.map {
                JiraNamed(id: $0.id, name: $0.name, description: "")
            }
            let ids = try resolve(named)
            return member { ids.contains($0.statusID) }
        case .priority:
            try allow([.equal, .notEqual, .in, .notIn])
            let ids = try resolve(JiraCatalog.priorities)
            return member { ids.contains($0.priorityID) }
        case .issueType:
            try allow([.equal, .notEqual, .in, .notIn])
            let ids = try resolve(JiraCatalog.issueTypes)
            return member { ids.contains($0.issueTypeID) }
        case .labels:
            try allow([.equal, .notEqual, .in, .notIn, .isEmpty, .isNotEmpty])
            let wanted = Set(operands)
            switch comparison {
            case .isEmpty: return { $0.labels.isEmpty }
            case .isNotEmpty: return { !$0.labels.isEmpty }
            case .notEqual, .notIn:
                // Jira's negative operators leave out issues without a value.
                return { !$0.labels.isEmpty && wanted.isDisjoint(with: $0.labels) }
            default: return { !wanted.isDisjoint(with: $0.labels) }
            }
        case .summary, .customText:
            try allow([.contains, .notContains, .isEmpty, .isNotEmpty])
            let fieldID = if case .customText(let id) = field { id } else { "summary" }
            let needle = (operands.first ?? "").replacing("*", with: "").lowercased()
            let comparison = self.comparison
            return { issue in
                let text =
                    fieldID == "summary"
                    ? issue.summary : issue.customFields[fieldID]?.stringValue
                switch comparison {
                case .isEmpty: return text == nil
                case .isNotEmpty: return text != nil
                case .notContains: return text.map { !$0.lowercased().contains(needle) } ?? false
                default: return text?.lowercased().contains(needle) ?? false
                }
            }
        }
    }

    private var isPositive: Bool {
        [.equal, .in].contains(comparison)
    }

    /// A predicate that holds when `test` does for `=`/`in`, and when it does not otherwise.
    private func member(_ test: @escaping (JiraIssue) -> Bool) -> (JiraIssue) -> Bool {
        let positive = isPositive
        return { test($0) == positive }
    }

    private func allow(_ comparisons: Set<JiraQuery.Comparison>) throws(JiraQuery.Problem) {
        guard comparisons.contains(comparison) else {
            throw JiraQuery.Problem(
                message:
                    "The operator '\(comparison.rawValue)' is not supported by the "
                    + "'\(fieldName)' field.")
        }
    }

    private func valueDoesNotExist(_ operand: String) -> JiraQuery.Problem {
        JiraQuery.Problem(
            message: "The value '\(operand)' does not exist for the field '\(fieldName)'.")
    }

    /// The ids of the named values the operands name, by id or by name in any case.
    private func resolve(_ choices: [JiraNamed]) throws(JiraQuery.Problem) -> Set<String> {
        var ids: Set<String> = []
        for operand in operands {
            guard
                let match = choices.first(where: {
                    $0.id == operand || $0.name.lowercased() == operand.lowercased()
                })
            else {
                throw valueDoesNotExist(operand)
            }
            ids.insert(match.id)
        }
        return ids
    }

    /// The number of the live issue an operand names by key or id.
    private func number(ofIssue operand: String, issues: [JiraIssue], site: JiraSite)
        throws(JiraQuery.Problem) -> Int64
    {
        if let id = Int64(operand) {
            guard let issue = issues.first(where: { $0.id == id }) else {
                throw JiraQuery.Problem(
                    message: "An issue with key '\(operand)' does not exist for field "
                        + "'\(fieldName)'.")
            }
            return issue.number
        }
        let parts = operand.split(separator: "-")
        guard parts.count == 2, Int64(parts[1]) != nil, parts[0].allSatisfy(\.isLetter) else {
            throw JiraQuery.Problem(
                message: "The issue key '\(operand)' for field '\(fieldName)' is invalid.")
        }
        guard let number = JiraState.number(inKey: operand, projectKey: site.projectKey),
            issues.contains(where: { $0.number == number })
        else {
            throw JiraQuery.Problem(
                message: "An issue with key '\(operand)' does not exist for field '\(fieldName)'.")
        }
        return number
    }

    /// Reads a JQL date: `"2026-01-01 10:00"`, `"2026/01/01"`, or a period such as `-5m`,
    /// `-2d` or `4w 2d` counted from `now` (a minus sign for the past).
    static func date(_ text: String, field: String, now: Timestamp) throws(JiraQuery.Problem)
        -> Timestamp
    {
        if let offset = period(text) {
            return Timestamp(microsecondsSinceEpoch: now.microseconds + offset * 1_000_000)
        }
        let normalised = text.replacing("/", with: "-")
        let parts = normalised.split(separator: " ")
        var rfc3339: String?
        if parts.count == 1 {
            rfc3339 = "\(parts[0])T00:00:00Z"
        } else if parts.count == 2, parts[1].count == 5 {
            rfc3339 = "\(parts[0])T\(parts[1]):00Z"
        }
        guard parts.first?.count == 10, let rfc3339, let time = Timestamp(rfc3339: rfc3339) else {
            throw JiraQuery.Problem(
                message:
                    "Date value '\(text)' for field '\(field)' is invalid. Valid formats include: "
                    + "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a "
                    + "period format e.g. '-5d', '4w 2d'.")
        }
        return time
    }

    /// Seconds in a period such as `-5m`, `+2h`, `1w 2d`; `nil` when `text` is not one.
    static func period(_ text: String) -> Int64? {
        var rest = Substring(text.filter { $0 != " " })
        var sign: Int64 = 1
        if rest.first == "-" || rest.first == "+" {
            sign = rest.first == "-" ? -1 : 1
            rest = rest.dropFirst()
        }
        let units: [Character: Int64] = ["w": 604_800, "d": 86_400, "h": 3_600, "m": 60]
        var total: Int64 = 0
        var digits = ""
        for character in rest {
            if character.isASCII && character.isNumber {
                digits.append(character)
            } else if let unit = units[Character(character.lowercased())],
                let amount = Int64(digits)
            {
                total += amount * unit
                digits = ""
            } else {
                return nil
            }
        }
        guard digits.isEmpty, !rest.isEmpty else {
            return nil
        }
        return sign * total
    }
}
