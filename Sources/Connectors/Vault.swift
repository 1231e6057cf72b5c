import CCrypto
import Foundation
import Ledger
import Synchronization

/// A connection's credential: an API token, or OAuth tokens and when they expire.
public enum Credential: Sendable, Equatable {
    /// Basic authentication with an account and an API token.
    case apiToken(account: String, token: String)
    /// OAuth 2.0 tokens.
    case oauth(OAuthTokens)
    /// A shared secret, such as the key that signs a provider's webhooks.
    case secret(String)
    /// The OAuth client a credential was authorised for, kept under
    /// ``Vault/clientEntry(of:)`` so that its tokens can be refreshed.
    case oauthClient(OAuthClient)

    var value: Value {
        switch self {
        case .oauthClient(let client):
            return [
                "kind": "oauthClient", "tokenURL": .string(client.tokenURL),
                "clientID": .string(client.clientID), "clientSecret": .string(client.clientSecret),
                "scope": .string(client.scope),
            ]
        case .apiToken(let account, let token):
            return ["kind": "apiToken", "account": .string(account), "token": .string(token)]
        case .secret(let secret):
            return ["kind": "secret", "secret": .string(secret)]
        case .oauth(let tokens):
            var object: ValueObject = [
                "kind": "oauth", "accessToken": .string(tokens.accessToken),
                "expiresAt": .integer(tokens.expiresAt.microseconds),
                "scope": .string(tokens.scope),
            ]
            object["refreshToken"] = tokens.refreshToken.map(Value.string)
            object["cloudId"] = tokens.cloudId.map(Value.string)
            return .object(object)
        }
    }

    init?(value: Value) {
        switch value["kind"]?.stringValue {
        case "apiToken":
            guard let account = value["account"]?.stringValue,
                let token = value["token"]?.stringValue
            else { return nil }
            self = .apiToken(account: account, token: token)
        case "secret":
            guard let secret = value["secret"]?.stringValue else { return nil }
            self = .secret(secret)
        case "oauthClient":
            guard let tokenURL = value["tokenURL"]?.stringValue,
                let id = value["clientID"]?.stringValue,
                let secret = value["clientSecret"]?.stringValue
            else { return nil }
            self = .oauthClient(
                OAuthClient(
                    tokenURL: tokenURL, clientID: id, clientSecret: secret,
                    scope: value["scope"]?.stringValue ?? ""))
        case "oauth":
            guard let access = value["accessToken"]?.stringValue,
                let expires = value["expiresAt"]?.integerValue
            else { return nil }
            self = .oauth(
                OAuthTokens(
                    accessToken: access, refreshToken: value["refreshToken"]?.stringValue,
                    expiresAt: Timestamp(microsecondsSinceEpoch: expires),
                    scope: value["scope"]?.stringValue ?? "",
                    cloudId: value["cloudId"]?.stringValue))
        default:
            return nil
        }
    }
}

/// An OAuth client as a refresh needs it: where tokens are exchanged, and as whom.
public struct OAuthClient: Sendable, Equatable {
    /// The token endpoint.
    public var tokenURL: String
    /// The client's id.
    public var clientID: String
    /// The client's secret.
    public var clientSecret: String
    /// The scopes the credential was granted for.
    public var scope: String

    /// Creates a client description.
    public init(tokenURL: String, clientID: String, clientSecret: String, scope: String) {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
    }

    /// The client as an ``OAuthProvider`` that can refresh (it has no authorisation page).
    public var provider: OAuthProvider {
        OAuthProvider(
            authorizeURL: "", tokenURL: tokenURL, clientID: clientID, clientSecret: clientSecret,
            scope: scope)
    }
}

/// OAuth tokens as a connection keeps them.
public struct OAuthTokens: Sendable, Equatable {
    /// The bearer token.
    public var accessToken: String
    /// The token that gets the next access token, if the provider gave one.
    public var refreshToken: String?
    /// When the access token stops working.
    public var expiresAt: Timestamp
    /// The scopes granted.
    public var scope: String
    /// For Jira, the cloud id the API is addressed under.
    public var cloudId: String?

    /// Creates tokens.
    public init(
        accessToken: String, refreshToken: String?, expiresAt: Timestamp, scope: String,
        cloudId: String? = nil
    ) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.scope = scope
        self.cloudId = cloudId
    }
}

/// Why the vault could not be used.
public struct VaultError: Error, Sendable, CustomStringConvertible {
    /// What failed, where, and what to do; never a secret.
    public let description: String
}

/// Credentials encrypted at rest with AES-256-GCM.
///
/// The key is `SYNCLEDGER_KEY` (64 hexadecimal digits), or else a key file created on first
/// use with mode 0600. The whole vault is one sealed file: a 4-byte magic `SLV1`, a 12-byte
/// nonce, the ciphertext of the credentials as JSON, and the 16-byte tag. Every change writes a
/// new file, syncs it and renames it over the old one, so a rotated refresh token is on disk
/// before it is used. A wrong key, or a file changed by anything else, fails the tag check and
/// is refused with a message that names the file and the key's source, never a secret.
public final class Vault: Sendable {
    /// The sealed file.
    public let path: String
    private let key: [UInt8]
    private let keySource: String
    private let credentials: Mutex<[String: Credential]>

    private static let magic = Array("SLV1".utf8)

    /// Opens (or starts) the vault at `path`, with the key from `environment`'s
    /// `SYNCLEDGER_KEY` or the key file at `keyPath`, created when missing.
    public init(path: String, keyPath: String, environment: [String: String]) throws(VaultError) {
        self.path = path
        if let hex = environment["SYNCLEDGER_KEY"] {
            guard let key = Self.bytes(hexadecimal: hex), key.count == 32 else {
                throw VaultError(
                    description: "SYNCLEDGER_KEY must be 64 hexadecimal digits (a 256-bit key)")
            }
            self.key = key
            keySource = "SYNCLEDGER_KEY"
        } else {
            key = try Self.keyFile(keyPath)
            keySource = "the key file \(keyPath)"
        }
        guard let sealed = FileManager.default.contents(atPath: path) else {
            credentials = Mutex([:])
            return
        }
        let plain = try Self.open(Array(sealed), key: key, path: path, keySource: keySource)
        guard case .object(let object)? = try? Value(jsonBytes: plain) else {
            throw VaultError(description: "the vault at \(path) holds no credentials object")
        }
        var stored: [String: Credential] = [:]
        for (connection, value) in object {
            stored[connection] = Credential(value: value)
        }
        credentials = Mutex(stored)
    }

    /// The credential of `connection`, if stored.
    public func credential(for connection: String) -> Credential? {
        credentials.withLock { $0[connection] }
    }

    /// The entry that keeps the OAuth client the credential `name` was authorised for.
    public static func clientEntry(of name: String) -> String {
        name + "/oauth-client"
    }

    /// The OAuth client the credential `name` was authorised for, if the vault keeps it.
    public func oauthClient(of name: String) -> OAuthClient? {
        guard case .oauthClient(let client)? = credential(for: Self.clientEntry(of: name)) else {
            return nil
        }
        return client
    }

    /// Stores `credential` for `connection`, durably, before returning.
    public func store(_ credential: Credential, for connection: String) throws(VaultError) {
        try update { $0[connection] = credential }
    }

    /// Removes the credential of `connection`, durably.
    public func remove(_ connection: String) throws(VaultError) {
        try update { $0[connection] = nil }
    }

    /// Applies `change` to the credentials and writes them, all under the lock: two refreshes
    /// at once (each connection's, say) never write the file together, nor leave on disk the
    /// older of two versions. Readers see the change once it is durable.
    private func update(_ change: (inout [String: Credential]) -> Void) throws(VaultError) {
        try credentials.withLock { stored throws(VaultError) in
            var next = stored
            change(&next)
            let plain = Array(
                Value.object(ValueObject(next.map { ($0.key, $0.value.value) })).json.utf8)
            try write(try Self.seal(plain, key: key))
            stored = next
        }
    }

    // MARK: - Files

    private func write(_ sealed: [UInt8]) throws(VaultError) {
        let temporary = path + ".new"
        let descriptor = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw VaultError(description: "cannot write the vault at \(path): \(Self.reason())")
        }
        let written = sealed.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress!, $0.count) }
        let synced = fsync(descriptor)
        Glibc.close(descriptor)
        guard written == sealed.count, synced == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw VaultError(description: "cannot write the vault at \(path): \(Self.reason())")
        }
    }

    private static func keyFile(_ keyPath: String) throws(VaultError) -> [UInt8] {
        if let existing = FileManager.default.contents(atPath: keyPath) {
            guard existing.count == 32 else {
                throw VaultError(
                    description: "the key file \(keyPath) is \(existing.count) bytes, not 32")
            }
            return Array(existing)
        }
        var key = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&key, 32) == 1 else {
            throw VaultError(description: "the system could not make a random key")
        }
        let descriptor = Glibc.open(keyPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw VaultError(description: "cannot create the key file \(keyPath): \(reason())")
        }
        defer { Glibc.close(descriptor) }
        guard key.withUnsafeBytes({ Glibc.write(descriptor, $0.baseAddress!, 32) }) == 32,
            fsync(descriptor) == 0
        else {
            throw VaultError(description: "cannot write the key file \(keyPath): \(reason())")
        }
        return key
    }

    private static func reason() -> String {
        String(cString: strerror(errno))
    }

    private static func bytes(hexadecimal text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else {
            return nil
        }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard
                let byte = UInt8(
                    String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16)
            else {
                return nil
            }
            bytes.append(byte)
        }
        return bytes
    }

    // MARK: - AES-256-GCM

    static func seal(_ plain: [UInt8], key: [UInt8]) throws(VaultError) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: 12)
        guard RAND_bytes(&nonce, 12) == 1, let context = EVP_CIPHER_CTX_new() else {
            throw VaultError(description: "the system could not start an encryption")
        }
        defer { EVP_CIPHER_CTX_free(context) }
        var cipher = [UInt8](repeating: 0, count: plain.count + 16)
        var length: Int32 = 0
        var total = 0
        var tag = [UInt8](repeating: 0, count: 16)
        let sealed =
            EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1
            && EVP_EncryptUpdate(context, &cipher, &length, plain, Int32(plain.count)) == 1
            && {
                total = Int(length)
                return cipher.withUnsafeMutableBufferPointer {
                    EVP_EncryptFinal_ex(context, $0.baseAddress! + total, &length) == 1
                }
            }()
            && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, 16, &tag) == 1
        guard sealed else {
            throw VaultError(description: "the credentials could not be encrypted")
        }
        total += Int(length)
        return magic + nonce + cipher.prefix(total) + tag
    }

    static func open(_ sealed: [UInt8], key: [UInt8], path: String, keySource: String)
        throws(VaultError) -> [UInt8]
    {
        guard sealed.count >= 4 + 12 + 16, Array(sealed.prefix(4)) == magic else {
            throw VaultError(description: "\(path) is not a SyncLedger vault")
        }
        let nonce = Array(sealed[4..<16])
        let cipher = Array(sealed[16..<(sealed.count - 16)])
        var tag = Array(sealed.suffix(16))
        guard let context = EVP_CIPHER_CTX_new() else {
            throw VaultError(description: "the system could not start a decryption")
        }
        defer { EVP_CIPHER_CTX_free(context) }
        var plain = [UInt8](repeating: 0, count: cipher.count + 16)
        var length: Int32 = 0
        var total = 0
        let opened =
            EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1
            && EVP_DecryptUpdate(context, &plain, &length, cipher, Int32(cipher.count)) == 1
            && {
                total = Int(length)
                return EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, 16, &tag) == 1
            }()
            && plain.withUnsafeMutableBufferPointer {
                EVP_DecryptFinal_ex(context, $0.baseAddress! + total, &length) == 1
            }
        guard opened else {
            throw VaultError(
                description:
                    "the vault at \(path) cannot be opened with \(keySource): the key is wrong, "
                    + "or the file was changed; use the key it was sealed with")
        }
        return Array(plain.prefix(total + Int(length)))
    }
}
