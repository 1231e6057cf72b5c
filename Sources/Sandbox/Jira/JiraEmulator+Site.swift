import HTTPServer
import Ledger

extension JiraEmulator {
    /// `GET /field`: the system fields and the custom fields, with their schemas.
    func listFields(_ request: HTTPRequest) -> HTTPResponse {
        .json(.array(JiraCatalog.fields.map { $0.json() }))
    }

    /// `GET /priority`: Highest to Lowest, ids 1 to 5.
    func listPriorities(_ request: HTTPRequest) -> HTTPResponse {
        let base = baseURL(request)
        return .json(.array(JiraCatalog.priorities.map { site.priorityJSON($0, baseURL: base) }))
    }

    /// `GET /myself`: the account the credentials belong to.
    func showMyself(_ request: HTTPRequest) -> HTTPResponse {
        var user = site.userJSON(baseURL: baseURL(request)).objectValue ?? [:]
        user["emailAddress"] = .string(site.email)
        user["locale"] = "en_US"
        user["groups"] = ["size": 1, "items": []]
        user["applicationRoles"] = ["size": 1, "items": []]
        return .json(.object(user))
    }

    /// `GET /project`: the site's one project.
    func listProjects(_ request: HTTPRequest) -> HTTPResponse {
        .json([site.projectJSON(baseURL: baseURL(request), detailed: false)])
    }

    /// `GET /project/{projectIdOrKey}`: the project in detail, by id or key.
    func showProject(_ request: HTTPRequest) -> HTTPResponse {
        let reference = request.parameters["projectIdOrKey"] ?? ""
        guard reference == site.projectID || reference.uppercased() == site.projectKey.uppercased()
        else {
            let kind = Int64(reference) == nil ? "key" : "id"
            return JiraErrorCollection(
                status: 404, message: "No project could be found with \(kind) '\(reference)'."
            ).response
        }
        return .json(site.projectJSON(baseURL: baseURL(request), detailed: true))
    }
}
