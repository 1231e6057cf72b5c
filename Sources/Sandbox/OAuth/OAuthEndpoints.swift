import Foundation
import HTTPServer
import Ledger

/// The pieces of an authorisation request the consent step carries through.
struct AuthorizationRequest: Sendable {
    var clientID: String
    var redirectURI: String
    var state: String?
    var scope: String
    var challenge: String?

    /// Reads `response_type=code`, the client, the redirect and PKCE from `fields`; a method
    /// other than S256 is refused, as the plain method is.
    init(_ fields: [String: String]) throws(OAuthAuthority.Refusal) {
        guard fields["response_type"] == "code" else {
            throw .init(
                error: "unsupported_response_type", description: "response_type must be code")
        }
        guard let clientID = fields["client_id"], let redirectURI = fields["redirect_uri"] else {
            throw .init(
                error: "invalid_request", description: "client_id and redirect_uri are required")
        }
        if let method = fields["code_challenge_method"], method != "S256" {
            throw .init(error: "invalid_request", description: "code_challenge_method must be S256")
        }
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.state = fields["state"]
        self.scope = fields["scope"] ?? "read"
        self.challenge = fields["code_challenge"]
    }

    /// The query to hand back on approval.
    var fields: [String: String] {
        var fields = [
            "response_type": "code", "client_id": clientID, "redirect_uri": redirectURI,
            "scope": scope,
        ]
        fields["state"] = state
        fields["code_challenge"] = challenge
        fields["code_challenge_method"] = challenge == nil ? nil : "S256"
        return fields
    }
}

extension OAuthAuthority {
    /// Answers an authorisation request: a redirect with a code when consent is automatic, or
    /// a consent page whose button posts to `approvePath`.
    func authorize(_ request: HTTPRequest, autoApprove: Bool, approvePath: String) -> HTTPResponse {
        let fields = FormFields.parse(request)
        let asked: AuthorizationRequest
        do {
            asked = try AuthorizationRequest(fields)
        } catch {
            return .text("\(error.error): \(error.description)\n", status: 400)
        }
        guard let client = client(asked.clientID),
            client.redirectURIs.contains(where: { Self.redirect(asked.redirectURI, matches: $0) })
        else {
            // Never redirect to an address the client did not register.
            return .text("invalid_request: unknown client or redirect_uri\n", status: 400)
        }
        if !autoApprove && request.method == .get {
            let hidden = asked.fields.sorted { $0.key < $1.key }.map { name, value in
                "<input type=\"hidden\" name=\"\(name.htmlEscaped)\" value=\"\(value.htmlEscaped)\">"
            }.joined(separator: "\n")
            return .text(
                """
                <!doctype html><title>Authorise \(asked.clientID.htmlEscaped)</title>
                <p>Allow \(asked.clientID.htmlEscaped) to \(asked.scope.htmlEscaped) your data?</p>
                <form method="post" action="\(approvePath)">
                \(hidden)
                <button type="submit">Allow</button></form>
                """, contentType: "text/html; charset=utf-8")
        }
        do {
            let registered = client.redirectURIs.first {
                Self.redirect(asked.redirectURI, matches: $0)
            }!
            let code = try issueCode(
                clientID: asked.clientID, redirectURI: registered, challenge: asked.challenge,
                scope: asked.scope)
            var location = asked.redirectURI + (asked.redirectURI.contains("?") ? "&" : "?")
            location += "code=\(FormFields.escape(code))"
            if let state = asked.state {
                location += "&state=\(FormFields.escape(state))"
            }
            return HTTPResponse(status: 302, headers: ["Location": location])
        } catch {
            return .text("\(error.error): \(error.description)\n", status: 400)
        }
    }

    /// A redirect matches a registered one exactly, or, for a loopback address, on any port
    /// (native applications listen where they can).
    static func redirect(_ asked: String, matches registered: String) -> Bool {
        if asked == registered {
            return true
        }
        guard let asked = URLComponents(string: asked),
            let registered = URLComponents(string: registered),
            asked.host == "127.0.0.1", registered.host == "127.0.0.1"
        else {
            return false
        }
        return asked.scheme == registered.scheme && asked.path == registered.path
    }

    /// Answers a token request (form or JSON body) with the grant, or with RFC 6749's error.
    func token(_ request: HTTPRequest) -> HTTPResponse {
        let fields = FormFields.parse(request)
        let clientID = fields["client_id"] ?? ""
        let secret = fields["client_secret"]
        do throws(Refusal) {
            let grant: Grant
            switch fields["grant_type"] {
            case "authorization_code":
                grant = try exchange(
                    code: fields["code"] ?? "", clientID: clientID, secret: secret,
                    redirectURI: fields["redirect_uri"].map { asked in
                        client(clientID)?.redirectURIs.first {
                            Self.redirect(asked, matches: $0)
                        } ?? asked
                    }, verifier: fields["code_verifier"])
            case "refresh_token":
                grant = try refresh(
                    fields["refresh_token"] ?? "", clientID: clientID, secret: secret)
            case "client_credentials":
                grant = try clientCredentials(
                    clientID: clientID, secret: secret, scope: fields["scope"] ?? "read")
            default:
                throw Refusal(
                    error: "unsupported_grant_type",
                    description:
                        "grant_type must be authorization_code, refresh_token or client_credentials"
                )
            }
            var body: ValueObject = [
                "access_token": .string(grant.accessToken), "token_type": "bearer",
                "scope": .string(grant.scope), "expires_in": .integer(grant.expiresIn),
            ]
            body["refresh_token"] = grant.refreshToken.map(Value.string)
            body["refresh_token_expires_in"] = grant.refreshExpiresIn.map(Value.integer)
            var response = HTTPResponse.json(.object(body))
            response.headers.set("Cache-Control", "no-store")
            return response
        } catch {
            return .json(
                ["error": .string(error.error), "error_description": .string(error.description)],
                status: error.error == "invalid_client" ? 401 : 400)
        }
    }
}

/// Fields of a query string or of a form or JSON body.
enum FormFields {
    /// The query arguments, overlaid by the body's fields (`application/x-www-form-urlencoded`
    /// or a JSON object of strings).
    static func parse(_ request: HTTPRequest) -> [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in request.query {
            fields[name] = value
        }
        let type = request.headers["Content-Type"] ?? ""
        if type.hasPrefix("application/json") {
            if case .success(let object) = request.jsonObject() {
                for (name, value) in object {
                    fields[name] = value.stringValue ?? value.json
                }
            }
        } else if !request.body.isEmpty {
            for pair in request.text.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                let name = decode(parts[0])
                fields[name] = parts.count > 1 ? decode(parts[1]) : ""
            }
        }
        return fields
    }

    static func decode(_ text: String) -> String {
        text.replacing("+", with: " ").removingPercentEncoding ?? text
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

extension String {
    /// The text with `&`, `<`, `>` and `"` escaped for HTML.
    var htmlEscaped: String {
        replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
            .replacing("\"", with: "&quot;")
    }
}
