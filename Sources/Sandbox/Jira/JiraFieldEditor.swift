import Ledger

/// Applies the `fields` and `update` members of create, edit and transition requests to an
/// issue, checking each value as Jira does, and lists what an edit changed.
enum JiraFieldEditor {
    /// Sets each member of `fields`, then runs each operation of `update`
    /// (`{"labels": [{"add": "x"}, {"remove": "y"}], "summary": [{"set": "New"}]}`); every
    /// problem goes into `errors` under its field.
    static func apply(
        fields: ValueObject, update: ValueObject, to issue: inout JiraIssue,
        errors: inout JiraErrorCollection
    ) {
        for (fieldID, value) in fields {
            set(fieldID, to: value, on: &issue, errors: &errors)
        }
        for (fieldID, operations) in update {
            guard case .array(let list) = operations else {
                errors.fieldErrors[fieldID] = "Field '\(fieldID)' needs a list of operations."
                continue
            }
            for operation in list {
                guard case .object(let object) = operation, object.count == 1,
                    let member = object.first
                else {
                    errors.fieldErrors[fieldID] =
                        "Each operation on '\(fieldID)' must be one of set, add or remove."
                    continue
                }
                let (name, value) = (member.key, member.value)
                switch (name, fieldID) {
                case ("set", _):
                    set(fieldID, to: value, on: &issue, errors: &errors)
                case ("add", "labels"):
                    guard let label = value.stringValue else {
                        errors.fieldErrors["labels"] = "A label must be a string."
                        continue
                    }
                    if let problem = labelProblem(label) {
                        errors.fieldErrors["labels"] = problem
                    } else {
                        issue.labels = Array(Set(issue.labels + [label])).sorted()
                    }
                case ("remove", "labels"):
                    issue.labels.removeAll { $0 == value.stringValue }
                default:
                    errors.fieldErrors[fieldID] =
                        JiraCatalog.field(fieldID)?.isEditable != true
                        ? JiraErrorCollection.cannotSet(fieldID)
                        : "Field '\(fieldID)' does not support the operation '\(name)'."
                }
            }
        }
    }

    /// Sets one field, or notes why it cannot be set to `value`.
    private static func set(
        _ fieldID: String, to value: Value, on issue: inout JiraIssue,
        errors: inout JiraErrorCollection
    ) {
        guard let field = JiraCatalog.field(fieldID), field.isEditable else {
            errors.fieldErrors[fieldID] = JiraErrorCollection.cannotSet(fieldID)
            return
        }
        switch (field.kind, fieldID) {
        case (.system, "summary"):
            let summary = value.stringValue?.trimmingWhitespace() ?? ""
            if summary.isEmpty {
                errors.fieldErrors["summary"] = "You must specify a summary of the issue."
            } else if summary.count > 255 {
                errors.fieldErrors["summary"] = "Summary must be less than 255 characters."
            } else {
                issue.summary = summary
            }
        case (.system, "description"), (.textarea, _):
            guard let document = document(value, field: fieldID, errors: &errors) else {
                return
            }
            if fieldID == "description" {
                issue.description = document
            } else {
                issue.customFields[fieldID] = document == .null ? nil : document
            }
        case (.system, "issuetype"):
            guard let type = JiraCatalog.resolve(value, in: JiraCatalog.issueTypes) else {
                errors.fieldErrors["issuetype"] = "valid issue type is required"
                return
            }
            issue.issueTypeID = type.id
        case (.system, "priority"):
            guard let priority = JiraCatalog.resolve(value, in: JiraCatalog.priorities) else {
                errors.fieldErrors["priority"] = "The priority selected is invalid."
                return
            }
            issue.priorityID = priority.id
        case (.system, "labels"):
            if value == .null {
                issue.labels = []
                return
            }
            let labels = value.arrayValue?.compactMap(\.stringValue)
            guard let labels, labels.count == value.arrayValue?.count else {
                errors.fieldErrors["labels"] = "Labels must be a list of strings."
                return
            }
            if let problem = labels.lazy.compactMap(labelProblem).first {
                errors.fieldErrors["labels"] = problem
                return
            }
            issue.labels = Array(Set(labels)).sorted()
        case (.text, _):
            if value == .null {
                issue.customFields[fieldID] = nil
                return
            }
            guard let text = value.stringValue else {
                errors.fieldErrors[fieldID] = "Operation value must be a string"
                return
            }
            guard text.count <= 255 else {
                errors.fieldErrors[fieldID] = "Text fields cannot be more than 255 characters."
                return
            }
            issue.customFields[fieldID] = text.isEmpty ? nil : .string(text)
        default:
            errors.fieldErrors[fieldID] = JiraErrorCollection.cannotSet(fieldID)
        }
    }

    /// `value` when it is `null` or a valid ADF document; otherwise notes Jira's error.
    private static func document(
        _ value: Value, field: String, errors: inout JiraErrorCollection
    ) -> Value? {
        if value == .null {
            return .null
        }
        do {
            try ADFValidator.validate(value)
            return value
        } catch {
            errors.fieldErrors[field] = JiraErrorCollection.notADocument
            errors.details.append("\(field): \(error.description)")
            return nil
        }
    }

    /// Why Jira refuses `label`, or `nil` when it is a valid label.
    static func labelProblem(_ label: String) -> String? {
        if label.isEmpty {
            return "A label must not be empty."
        }
        if label.contains(where: \.isWhitespace) {
            return "The label '\(label)' contains spaces which is invalid."
        }
        if label.count > 255 {
            return "The label '\(label)' exceeds the maximum length for a single label of 255 "
                + "characters."
        }
        return nil
    }

    // MARK: - Change history

    /// The changes between two versions of an issue, as history items.
    static func changes(from old: JiraIssue, to new: JiraIssue) -> [JiraChange] {
        var items: [JiraChange] = []
        if old.summary != new.summary {
            items.append(
                JiraChange(
                    field: "summary", fieldID: "summary", fieldType: "jira",
                    fromString: old.summary, toString: new.summary))
        }
        if old.description != new.description {
            items.append(
                JiraChange(
                    field: "description", fieldID: "description", fieldType: "jira",
                    fromString: text(old.description), toString: text(new.description)))
        }
        if old.issueTypeID != new.issueTypeID {
            items.append(
                JiraChange(
                    field: "issuetype", fieldID: "issuetype", fieldType: "jira",
                    from: old.issueTypeID,
                    fromString: JiraCatalog.issueType(old.issueTypeID).name,
                    to: new.issueTypeID, toString: JiraCatalog.issueType(new.issueTypeID).name))
        }
        if old.priorityID != new.priorityID {
            items.append(
                JiraChange(
                    field: "priority", fieldID: "priority", fieldType: "jira",
                    from: old.priorityID, fromString: JiraCatalog.priority(old.priorityID).name,
                    to: new.priorityID, toString: JiraCatalog.priority(new.priorityID).name))
        }
        if old.labels != new.labels {
            items.append(
                JiraChange(
                    field: "labels", fieldID: "labels", fieldType: "jira",
                    fromString: old.labels.joined(separator: " "),
                    toString: new.labels.joined(separator: " ")))
        }
        if old.statusID != new.statusID {
            items.append(
                JiraChange(
                    field: "status", fieldID: "status", fieldType: "jira", from: old.statusID,
                    fromString: old.status.name, to: new.statusID, toString: new.status.name))
        }
        let wasResolved = old.statusID == JiraCatalog.done.id
        let isResolved = new.statusID == JiraCatalog.done.id
        if wasResolved != isResolved {
            let done = JiraCatalog.resolutionDone
            items.append(
                JiraChange(
                    field: "resolution", fieldID: "resolution", fieldType: "jira",
                    from: wasResolved ? done.id : nil, fromString: wasResolved ? done.name : nil,
                    to: isResolved ? done.id : nil, toString: isResolved ? done.name : nil))
        }
        for field in JiraCatalog.fields where field.isCustom {
            let before = old.customFields[field.id]
            let after = new.customFields[field.id]
            if before != after {
                items.append(
                    JiraChange(
                        field: field.name, fieldID: field.id, fieldType: "custom",
                        fromString: before.flatMap(text), toString: after.flatMap(text)))
            }
        }
        return items
    }

    /// A field value as history shows it: strings as they are, documents as their text.
    private static func text(_ value: Value) -> String? {
        switch value {
        case .null: nil
        case .string(let text): text
        default: ADFDocument.plainText(value)
        }
    }
}

extension String {
    /// The text without leading and trailing spaces and line breaks.
    fileprivate func trimmingWhitespace() -> String {
        let characters = Array(self)
        guard let first = characters.firstIndex(where: { !$0.isWhitespace }),
            let last = characters.lastIndex(where: { !$0.isWhitespace })
        else {
            return ""
        }
        return String(characters[first...last])
    }
}
