import Foundation
import Ledger

/// An issue as the Jira emulator keeps it.
struct JiraIssue: Sendable {
    var id: Int64
    /// The number after the project key: 7 in `SUP-7`.
    var number: Int64
    var summary: String
    /// An ADF document, or `null`.
    var description: Value
    var issueTypeID: String
    var priorityID: String
    var statusID: String
    /// Sorted and without repeats, as Jira returns them.
    var labels: [String]
    /// Custom field values by field id; a cleared field has no entry.
    var customFields: [String: Value]
    var created: Timestamp
    var updated: Timestamp
    var resolutionDate: Timestamp?
    var histories: [JiraHistory]
}

/// One entry of an issue's change history: the changes one edit or transition made.
struct JiraHistory: Sendable {
    var id: Int64
    var created: Timestamp
    var items: [JiraChange]
}

/// One field's change within a history entry.
struct JiraChange: Sendable {
    var field: String
    var fieldID: String
    var fieldType: String
    var from: String?
    var fromString: String?
    var to: String?
    var toString: String?

    /// A change; `from` and `to` hold ids and are left out for fields without them.
    init(
        field: String, fieldID: String, fieldType: String, from: String? = nil,
        fromString: String?, to: String? = nil, toString: String?
    ) {
        self.field = field
        self.fieldID = fieldID
        self.fieldType = fieldType
        self.from = from
        self.fromString = fromString
        self.to = to
        self.toString = toString
    }

    func json() -> Value {
        func text(_ value: String?) -> Value {
            value.map(Value.string) ?? .null
        }
        return [
            "field": .string(field), "fieldId": .string(fieldID),
            "fieldtype": .string(fieldType), "from": text(from), "fromString": text(fromString),
            "to": text(to), "toString": text(toString),
        ]
    }
}

/// Which fields a response includes, from a `fields` list such as `summary,labels`, `*all`,
/// `*navigable` or `-description`.
struct JiraFieldSelection: Sendable, Equatable {
    /// The field ids to include, in the catalog's order.
    let fieldIDs: [String]
    /// Whether the list asked for ids alone (`id`, or nothing in a search).
    let idOnly: Bool

    /// Every field.
    static let all = JiraFieldSelection(fieldIDs: JiraCatalog.fields.map(\.id), idOnly: false)

    /// Parses the entries of one or more comma-separated lists; `fallback` applies when there
    /// are none. Names that are not fields are ignored, as Jira ignores them.
    init(_ lists: [String], fallback: JiraFieldSelection) {
        let entries = lists.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !entries.isEmpty else {
            self = fallback
            return
        }
        var included: Set<String> = []
        var excluded: Set<String> = []
        for entry in entries {
            if entry == "*all" || entry == "*navigable" {
                included.formUnion(JiraCatalog.fields.map(\.id))
            } else if entry.hasPrefix("-") {
                excluded.insert(String(entry.dropFirst()))
                if included.isEmpty {
                    included.formUnion(JiraCatalog.fields.map(\.id))
                }
            } else {
                included.insert(entry)
            }
        }
        included.subtract(excluded)
        fieldIDs = JiraCatalog.fields.map(\.id).filter { included.contains($0) }
        idOnly = fieldIDs.isEmpty && entries.allSatisfy { $0 == "id" }
    }

    private init(fieldIDs: [String], idOnly: Bool) {
        self.fieldIDs = fieldIDs
        self.idOnly = idOnly
    }

    /// Only the issue's id.
    static let idAlone = JiraFieldSelection(fieldIDs: [], idOnly: true)
}

extension JiraIssue {
    /// The issue's key under `projectKey`: `SUP-7`.
    func key(_ projectKey: String) -> String {
        "\(projectKey)-\(number)"
    }

    var status: JiraStatus { JiraCatalog.status(statusID) }

    /// The issue as `GET /issue` returns it, with the fields in `selection` and the
    /// expansions named in `expand` (`changelog`, `names`).
    func json(
        site: JiraSite, baseURL: String, selection: JiraFieldSelection, expand: Set<String>
    ) -> Value {
        var fields = ValueObject()
        for fieldID in selection.fieldIDs {
            fields[fieldID] = value(of: fieldID, site: site, baseURL: baseURL)
        }
        var object: ValueObject = [
            "expand": "renderedFields,names,schema,operations,editmeta,changelog",
            "id": .string(String(id)), "key": .string(key(site.projectKey)),
            "self": .string("\(baseURL)/rest/api/3/issue/\(id)"), "fields": .object(fields),
        ]
        if expand.contains("changelog") {
            object["changelog"] = changelogJSON(site: site, baseURL: baseURL)
        }
        if expand.contains("names") {
            object["names"] = Self.names(selection)
        }
        return .object(object)
    }

    /// The display names of the selected fields, as `expand=names` gives them.
    static func names(_ selection: JiraFieldSelection) -> Value {
        var names = ValueObject()
        for fieldID in selection.fieldIDs {
            names[fieldID] = JiraCatalog.field(fieldID).map { .string($0.name) } ?? .null
        }
        return .object(names)
    }

    /// The value of one field in the API's shape.
    func value(of fieldID: String, site: JiraSite, baseURL: String) -> Value {
        switch fieldID {
        case "summary":
            return .string(summary)
        case "description":
            return description
        case "issuetype":
            return site.issueTypeJSON(JiraCatalog.issueType(issueTypeID), baseURL: baseURL)
        case "project":
            return site.projectJSON(baseURL: baseURL, detailed: false)
        case "status":
            return status.json(baseURL: baseURL)
        case "priority":
            return site.priorityJSON(JiraCatalog.priority(priorityID), baseURL: baseURL)
        case "labels":
            return .array(labels.map(Value.string))
        case "resolution":
            return statusID == JiraCatalog.done.id
                ? site.resolutionJSON(JiraCatalog.resolutionDone, baseURL: baseURL) : .null
        case "resolutiondate":
            return resolutionDate.map { .string($0.jiraText) } ?? .null
        case "reporter":
            return site.userJSON(baseURL: baseURL)
        case "assignee":
            return .null
        case "created":
            return .string(created.jiraText)
        case "updated":
            return .string(updated.jiraText)
        default:
            return customFields[fieldID] ?? .null
        }
    }

    private func changelogJSON(site: JiraSite, baseURL: String) -> Value {
        let author = site.userJSON(baseURL: baseURL)
        return [
            "startAt": 0, "maxResults": .integer(Int64(histories.count)),
            "total": .integer(Int64(histories.count)),
            "histories": .array(
                histories.map { history in
                    [
                        "id": .string(String(history.id)), "author": author,
                        "created": .string(history.created.jiraText),
                        "items": .array(history.items.map { $0.json() }),
                    ]
                }),
        ]
    }
}

extension Timestamp {
    /// The time as Jira prints it: `2026-12-03T10:00:00.000+0000`, in UTC.
    var jiraText: String {
        let seconds = unixSeconds
        let milliseconds = (microseconds - seconds * 1_000_000) / 1_000
        let whole = Timestamp(secondsSinceEpoch: seconds).description.dropLast()
        let fraction = String(milliseconds)
        return "\(whole).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)+0000"
    }
}
