import Ledger

/// An issue status, with the category Jira groups it under.
struct JiraStatus: Sendable, Equatable {
    let id: String
    let name: String
    let categoryID: Int64
    let categoryKey: String
    let categoryName: String
    let categoryColor: String

    func json(baseURL: String) -> Value {
        [
            "self": .string("\(baseURL)/rest/api/3/status/\(id)"), "id": .string(id),
            "name": .string(name), "description": "",
            "iconUrl": .string("\(baseURL)/images/icons/statuses/generic.png"),
            "statusCategory": [
                "self": .string("\(baseURL)/rest/api/3/statuscategory/\(categoryID)"),
                "id": .integer(categoryID), "key": .string(categoryKey),
                "colorName": .string(categoryColor), "name": .string(categoryName),
            ],
        ]
    }
}

/// A workflow step: its id, its name, the status it leads to and the statuses it starts from.
struct JiraTransition: Sendable {
    let id: String
    let name: String
    let to: JiraStatus
    let from: [String]

    func json(baseURL: String) -> Value {
        [
            "id": .string(id), "name": .string(name), "to": to.json(baseURL: baseURL),
            "hasScreen": false, "isGlobal": false, "isInitial": false, "isAvailable": true,
            "isConditional": false, "isLooped": false,
        ]
    }
}

/// A named value with an id: an issue type or a priority.
struct JiraNamed: Sendable, Equatable {
    let id: String
    let name: String
    let description: String
}

/// How the emulator checks and stores a field's value.
enum JiraFieldKind: Sendable {
    /// A system field with its own rules.
    case system
    /// A single-line text custom field: a string of at most 255 characters.
    case text
    /// A multi-line text custom field: an ADF document.
    case textarea
}

/// A field as `GET /field` lists it.
struct JiraField: Sendable {
    let id: String
    let name: String
    let kind: JiraFieldKind
    /// The schema's `type` (`string`, `array`, `priority`, ...).
    let schemaType: String
    /// The element type of an array field.
    var items: String? = nil
    /// Whether the field can be set by create and edit.
    var isEditable = true

    var isCustom: Bool { kind != .system }

    /// The number in `customfield_NNNNN`.
    var customID: Int64? {
        isCustom ? Int64(id.dropFirst("customfield_".count)) : nil
    }

    func json() -> Value {
        var schema: ValueObject = ["type": .string(schemaType)]
        if let items {
            schema["items"] = .string(items)
        }
        var clauseNames: [Value] = [.string(id)]
        if let customID {
            let plugin = "com.atlassian.jira.plugin.system.customfieldtypes:"
            schema["custom"] = .string(plugin + (kind == .text ? "textfield" : "textarea"))
            schema["customId"] = .integer(customID)
            clauseNames = [.string("cf[\(customID)]"), .string(name)]
        } else {
            schema["system"] = .string(id)
        }
        return [
            "id": .string(id), "key": .string(id), "name": .string(name),
            "custom": .bool(isCustom), "orderable": .bool(isEditable), "navigable": true,
            "searchable": true, "clauseNames": .array(clauseNames), "schema": .object(schema),
        ]
    }
}

/// The fixed configuration of the emulated site: its statuses, workflow, issue types,
/// priorities, resolution and fields.
enum JiraCatalog {
    static let toDo = JiraStatus(
        id: "10000", name: "To Do", categoryID: 2, categoryKey: "new", categoryName: "To Do",
        categoryColor: "blue-gray")
    static let inProgress = JiraStatus(
        id: "3", name: "In Progress", categoryID: 4, categoryKey: "indeterminate",
        categoryName: "In Progress", categoryColor: "yellow")
    static let done = JiraStatus(
        id: "10001", name: "Done", categoryID: 3, categoryKey: "done", categoryName: "Done",
        categoryColor: "green")

    static let statuses = [toDo, inProgress, done]

    /// To Do ↔ In Progress ↔ Done; each transition is named after the status it leads to.
    static let transitions = [
        JiraTransition(id: "11", name: "To Do", to: toDo, from: [inProgress.id]),
        JiraTransition(id: "21", name: "In Progress", to: inProgress, from: [toDo.id, done.id]),
        JiraTransition(id: "31", name: "Done", to: done, from: [inProgress.id]),
    ]

    static let issueTypes = [
        JiraNamed(id: "10001", name: "Task", description: "A small, distinct piece of work."),
        JiraNamed(id: "10002", name: "Bug", description: "A problem or error."),
        JiraNamed(id: "10003", name: "Story", description: "A feature told from a user's view."),
    ]

    static let priorities = [
        JiraNamed(id: "1", name: "Highest", description: "This problem will block progress."),
        JiraNamed(id: "2", name: "High", description: "Serious problem that could block."),
        JiraNamed(id: "3", name: "Medium", description: "Has the potential to affect progress."),
        JiraNamed(id: "4", name: "Low", description: "Minor problem or easily worked around."),
        JiraNamed(id: "5", name: "Lowest", description: "Trivial problem with little impact."),
    ]

    static let priorityColors = [
        "1": "#d04437", "2": "#f15C75", "3": "#f79232", "4": "#707070", "5": "#999999",
    ]

    /// The priority given to issues created without one.
    static let defaultPriority = priorities[2]

    /// The resolution an issue gets when it reaches Done.
    static let resolutionDone = JiraNamed(
        id: "10000", name: "Done", description: "Work has been completed on this issue.")

    /// The custom field holding the linked Zendesk ticket.
    static let zendeskTicketField = JiraField(
        id: "customfield_10100", name: "Zendesk ticket", kind: .text, schemaType: "string")

    /// A custom rich-text field.
    static let customerImpactField = JiraField(
        id: "customfield_10101", name: "Customer impact", kind: .textarea, schemaType: "string")

    /// Every field, in the order `GET /field` lists them.
    static let fields = [
        JiraField(id: "summary", name: "Summary", kind: .system, schemaType: "string"),
        JiraField(id: "description", name: "Description", kind: .system, schemaType: "string"),
        JiraField(id: "issuetype", name: "Issue Type", kind: .system, schemaType: "issuetype"),
        JiraField(
            id: "project", name: "Project", kind: .system, schemaType: "project",
            isEditable: false),
        JiraField(
            id: "status", name: "Status", kind: .system, schemaType: "status", isEditable: false),
        JiraField(id: "priority", name: "Priority", kind: .system, schemaType: "priority"),
        JiraField(
            id: "labels", name: "Labels", kind: .system, schemaType: "array", items: "string"),
        JiraField(
            id: "resolution", name: "Resolution", kind: .system, schemaType: "resolution",
            isEditable: false),
        JiraField(
            id: "resolutiondate", name: "Resolved", kind: .system, schemaType: "datetime",
            isEditable: false),
        JiraField(
            id: "reporter", name: "Reporter", kind: .system, schemaType: "user",
            isEditable: false),
        JiraField(
            id: "assignee", name: "Assignee", kind: .system, schemaType: "user",
            isEditable: false),
        JiraField(
            id: "created", name: "Created", kind: .system, schemaType: "datetime",
            isEditable: false),
        JiraField(
            id: "updated", name: "Updated", kind: .system, schemaType: "datetime",
            isEditable: false),
        zendeskTicketField,
        customerImpactField,
    ]

    static func field(_ id: String) -> JiraField? {
        fields.first { $0.id == id }
    }

    static func status(_ id: String) -> JiraStatus {
        statuses.first { $0.id == id } ?? toDo
    }

    static func priority(_ id: String) -> JiraNamed {
        priorities.first { $0.id == id } ?? defaultPriority
    }

    static func issueType(_ id: String) -> JiraNamed {
        issueTypes.first { $0.id == id } ?? issueTypes[0]
    }

    /// The entry of `choices` that a `{"id": ...}` or `{"name": ...}` reference names.
    static func resolve(_ reference: Value?, in choices: [JiraNamed]) -> JiraNamed? {
        if let id = reference?["id"]?.stringValue {
            return choices.first { $0.id == id }
        }
        if let name = reference?["name"]?.stringValue {
            return choices.first { $0.name.lowercased() == name.lowercased() }
        }
        return nil
    }
}

/// The emulated site's one project and its one user.
struct JiraSite: Sendable {
    let projectID = "10000"
    let projectKey: String
    let projectName = "Support"
    let accountID = "5b10ac8d82e05b22cc7d4ef5"
    let displayName = "Sandbox Agent"
    let email: String

    func userJSON(baseURL: String) -> Value {
        [
            "self": .string("\(baseURL)/rest/api/3/user?accountId=\(accountID)"),
            "accountId": .string(accountID), "accountType": "atlassian",
            "displayName": .string(displayName), "active": true, "timeZone": "UTC",
            "avatarUrls": avatars("\(baseURL)/avatars/\(accountID)"),
        ]
    }

    func projectJSON(baseURL: String, detailed: Bool) -> Value {
        var object: ValueObject = [
            "self": .string("\(baseURL)/rest/api/3/project/\(projectID)"),
            "id": .string(projectID), "key": .string(projectKey), "name": .string(projectName),
            "projectTypeKey": "software", "simplified": false, "style": "classic",
            "isPrivate": false, "properties": [:],
            "avatarUrls": avatars("\(baseURL)/secure/projectavatar?pid=\(projectID)"),
        ]
        if detailed {
            object["description"] = "Issues raised from customer support."
            object["lead"] = userJSON(baseURL: baseURL)
            object["assigneeType"] = "UNASSIGNED"
            object["components"] = []
            object["versions"] = []
            object["issueTypes"] = .array(
                JiraCatalog.issueTypes.map { issueTypeJSON($0, baseURL: baseURL) })
        }
        return .object(object)
    }

    func issueTypeJSON(_ type: JiraNamed, baseURL: String) -> Value {
        [
            "self": .string("\(baseURL)/rest/api/3/issuetype/\(type.id)"), "id": .string(type.id),
            "name": .string(type.name), "description": .string(type.description),
            "subtask": false, "hierarchyLevel": 0,
            "iconUrl": .string("\(baseURL)/images/icons/issuetypes/\(type.id).png"),
        ]
    }

    func priorityJSON(_ priority: JiraNamed, baseURL: String) -> Value {
        [
            "self": .string("\(baseURL)/rest/api/3/priority/\(priority.id)"),
            "id": .string(priority.id), "name": .string(priority.name),
            "description": .string(priority.description),
            "statusColor": .string(JiraCatalog.priorityColors[priority.id] ?? "#999999"),
            "iconUrl": .string(
                "\(baseURL)/images/icons/priorities/\(priority.name.lowercased()).svg"),
        ]
    }

    func resolutionJSON(_ resolution: JiraNamed, baseURL: String) -> Value {
        [
            "self": .string("\(baseURL)/rest/api/3/resolution/\(resolution.id)"),
            "id": .string(resolution.id), "name": .string(resolution.name),
            "description": .string(resolution.description),
        ]
    }

    private func avatars(_ base: String) -> Value {
        let separator = base.contains("?") ? "&" : "?"
        return [
            "16x16": .string("\(base)\(separator)size=16"),
            "24x24": .string("\(base)\(separator)size=24"),
            "32x32": .string("\(base)\(separator)size=32"),
            "48x48": .string("\(base)\(separator)size=48"),
        ]
    }
}
