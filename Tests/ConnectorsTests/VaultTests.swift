import Foundation
import Ledger
import Testing

@testable import Connectors

@Suite("Credential vault")
struct VaultTests {
    func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/vault-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static let tokens = OAuthTokens(
        accessToken: "at-secret-1234", refreshToken: "rt-secret-5678",
        expiresAt: Timestamp(secondsSinceEpoch: 1_800_000_000), scope: "read write",
        cloudId: "cloud-1")

    @Test func credentialsSurviveReopeningAndNeverAppearInTheFile() throws {
        let directory = try directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let vaultPath = directory + "/vault.sealed"
        let keyPath = directory + "/vault.key"
        do {
            let vault = try Vault(path: vaultPath, keyPath: keyPath, environment: [:])
            try vault.store(.oauth(Self.tokens), for: "jira")
            try vault.store(
                .apiToken(account: "agent@example.com", token: "api-secret-9"), for: "zendesk")
        }
        let reopened = try Vault(path: vaultPath, keyPath: keyPath, environment: [:])
        #expect(reopened.credential(for: "jira") == .oauth(Self.tokens))
        #expect(
            reopened.credential(for: "zendesk")
                == .apiToken(account: "agent@example.com", token: "api-secret-9"))

        let sealed = try #require(FileManager.default.contents(atPath: vaultPath))
        for secret in ["at-secret-1234", "rt-secret-5678", "api-secret-9", "agent@example.com"] {
            #expect(sealed.range(of: Data(secret.utf8)) == nil, "\(secret) is in the sealed file")
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: vaultPath + ".new"))

        try reopened.remove("zendesk")
        #expect(
            try Vault(path: vaultPath, keyPath: keyPath, environment: [:]).credential(
                for: "zendesk") == nil)
    }

    @Test func storesFromManyTasksAtOnceAllReachTheFile() async throws {
        let directory = try directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let vaultPath = directory + "/vault.sealed"
        let keyPath = directory + "/vault.key"
        let vault = try Vault(path: vaultPath, keyPath: keyPath, environment: [:])
        // Every connection refreshing at once, each twice, the second rotation last.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<16 {
                group.addTask {
                    for round in 0..<2 {
                        try vault.store(
                            .apiToken(account: "agent\(index)", token: "token-\(round)"),
                            for: "connection-\(index)")
                    }
                }
            }
            try await group.waitForAll()
        }
        let reopened = try Vault(path: vaultPath, keyPath: keyPath, environment: [:])
        for index in 0..<16 {
            #expect(
                reopened.credential(for: "connection-\(index)")
                    == .apiToken(account: "agent\(index)", token: "token-1"))
        }
    }

    @Test func aWrongKeyOrAChangedFileIsRefusedWithoutASecretInTheMessage() throws {
        let directory = try directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let vaultPath = directory + "/vault.sealed"
        let key = String(repeating: "ab", count: 32)
        try Vault(
            path: vaultPath, keyPath: directory + "/unused", environment: ["SYNCLEDGER_KEY": key]
        )
        .store(.oauth(Self.tokens), for: "jira")

        let wrong = #expect(throws: VaultError.self) {
            try Vault(
                path: vaultPath, keyPath: directory + "/unused",
                environment: ["SYNCLEDGER_KEY": String(repeating: "cd", count: 32)])
        }
        #expect(wrong?.description.contains("cannot be opened with SYNCLEDGER_KEY") == true)
        #expect(wrong?.description.contains("secret") == false)

        var sealed = try #require(FileManager.default.contents(atPath: vaultPath))
        sealed[sealed.count / 2] ^= 0x01
        try sealed.write(to: URL(fileURLWithPath: vaultPath))
        let changed = #expect(throws: VaultError.self) {
            try Vault(
                path: vaultPath, keyPath: directory + "/unused",
                environment: ["SYNCLEDGER_KEY": key])
        }
        #expect(changed?.description.contains("the file was changed") == true)

        let short = #expect(throws: VaultError.self) {
            try Vault(
                path: vaultPath, keyPath: directory + "/unused",
                environment: ["SYNCLEDGER_KEY": "abcd"])
        }
        #expect(short?.description.contains("64 hexadecimal digits") == true)
    }
}
