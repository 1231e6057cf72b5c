import HTTPServer
import Ledger

/// A refusal in Jira's shape: `{"errorMessages": [...], "errors": {"field": "message"}}`.
struct JiraErrorCollection: Error, Sendable {
    /// The status to answer with; 400 unless said otherwise.
    var status = 400
    /// Messages about the request as a whole.
    var messages: [String] = []
    /// Messages about single fields, by field id.
    var fieldErrors: [String: String] = [:]
    /// Details Jira does not give, such as where an ADF document went wrong; sent in the
    /// `X-Sandbox-Problem` header so the body keeps Jira's wording.
    var details: [String] = []

    /// A refusal with one message about the whole request.
    init(status: Int = 400, message: String) {
        self.status = status
        messages = [message]
    }

    /// A refusal with nothing in it yet, to collect field errors into.
    init() {}

    var isEmpty: Bool { messages.isEmpty && fieldErrors.isEmpty }

    var json: Value {
        [
            "errorMessages": .array(messages.map(Value.string)),
            "errors": .object(ValueObject(fieldErrors.mapValues(Value.string))),
        ]
    }

    var response: HTTPResponse {
        var response = HTTPResponse.json(json, status: status)
        if !details.isEmpty {
            let text = details.joined(separator: "; ")
            let printable = String(
                text.unicodeScalars.filter { $0.value >= 0x20 && $0 != "\u{7F}" })
            response.headers.set("X-Sandbox-Problem", printable)
        }
        return response
    }

    /// Jira's answer for an issue that is missing or hidden.
    static let issueNotFound = JiraErrorCollection(
        status: 404, message: "Issue does not exist or you do not have permission to see it.")

    /// Jira's answer without valid credentials.
    static let notAuthenticated = JiraErrorCollection(
        status: 401,
        message: "You are not authenticated. Authentication required to perform this operation.")

    /// Jira's wording for a field that the request may not set.
    static func cannotSet(_ field: String) -> String {
        "Field '\(field)' cannot be set. It is not on the appropriate screen, or unknown."
    }

    /// Jira's wording for a rich-text field that is not an ADF document.
    static let notADocument =
        "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
}
