import SerinServer
import Testing

@Suite struct ListenAddressTests {
    @Test(arguments: [
        ("127.0.0.1:9797", "127.0.0.1", 9797),
        ("127.0.0.1:0", "127.0.0.1", 0),
        ("localhost:80", "localhost", 80),
        ("[::1]:9797", "::1", 9797),
    ])
    func parsesHostAndPort(text: String, host: String, port: Int) {
        #expect(ListenAddress(text) == ListenAddress(host: host, port: port))
    }

    /// No host means no address: listening beyond loopback must be asked for by name.
    @Test(arguments: [":9797", "localhost", "localhost:http", "localhost:70000", "localhost:-1", ""])
    func refusesAnythingElse(text: String) {
        #expect(ListenAddress(text) == nil)
    }

    @Test func printsIPv6InBrackets() {
        #expect(ListenAddress(host: "::1", port: 9797).description == "[::1]:9797")
        #expect(ListenAddress(host: "127.0.0.1", port: 0).description == "127.0.0.1:0")
    }
}
