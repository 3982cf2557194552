// Smoke test of the libtcc wrapper: compile and call a trivial C function in-process.
import Testing
import AxRuntime
@testable import AxCore

@Suite struct TccTests {
    @Test func compilesAndCallsCFunction() throws {
        let version: @convention(c) () -> Double = ax_rt_version
        let ptr = unsafeBitCast(version, to: UnsafeRawPointer.self)
        let m = try TccModule(source: """
            double ax_rt_version(void);
            double twice_plus(double x) { return 2.0 * x + ax_rt_version(); }
            """, symbols: [("ax_rt_version", ptr)])
        let f = try #require(m.symbol("twice_plus"))
        let fn = unsafeBitCast(f, to: (@convention(c) (Double) -> Double).self)
        #expect(fn(20.0) == 41.0)
    }

    @Test func reportsCompileErrors() {
        #expect(throws: TccError.self) { try TccModule(source: "int f( { return 1; }") }
    }
}
