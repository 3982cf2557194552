// `axc bench --plot`: a log-scale bar chart (SVG) of steady-state times per mode.
import Foundation

extension BenchReport {
    /// An SVG bar chart of median time per mode on a log scale, with title, axis labels and units.
    public var svg: String {
        let labels: [BenchMode: String] = [.loop: "per-example loop", .eager: "op by op (eager)", .jit: "fused kernel (jit)",
                                           .jit2: "tier 2 (jit2)"]
        let order: [BenchMode] = [.loop, .eager, .jit, .jit2]
        let colors: [BenchMode: String] = [.loop: "#c0504d", .eager: "#f79646", .jit: "#4f81bd", .jit2: "#2c4d75"]
        let bars = order.compactMap { m in modes.first { $0.0 == m }.map { (m, max($0.1.medianMs, 1e-4)) } }
        let jitMs = bars.first { $0.0 == .jit }?.1
        let (w, h, left, right, top, bottom) = (640.0, 400.0, 80.0, 20.0, 60.0, 70.0)
        // The axis starts at least a factor 2 below the fastest bar (so no bar is empty) and ends above the slowest.
        let lo = floor(log10((bars.map(\.1).min() ?? 1) / 2)), hi = ceil(log10((bars.map(\.1).max() ?? 10) * 1.5))
        let span = max(hi - lo, 1)
        func y(_ v: Double) -> Double { top + (h - top - bottom) * (1 - (log10(v) - lo) / span) }
        let sizeText = sizesDescription(sizes)
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" font-family="sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(w / 2)" y="28" text-anchor="middle" font-size="18">\(fn): time per call (\(sizeText))</text>
            <text x="\(w / 2)" y="46" text-anchor="middle" font-size="12" fill="#555">median of steady-state runs; lower is faster; log scale</text>
            <text transform="translate(22,\((top + h - bottom) / 2)) rotate(-90)" text-anchor="middle" font-size="13">time per call (ms, log scale)</text>

            """
        var e = lo
        while e <= hi {
            let v = pow10(e), yy = y(v)
            s += "<line x1=\"\(left)\" x2=\"\(w - right)\" y1=\"\(yy)\" y2=\"\(yy)\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(left - 8)\" y=\"\(yy + 4)\" text-anchor=\"end\" font-size=\"11\">\(formatMs(v))</text>\n"
            e += 1
        }
        let slot = (w - left - right) / Double(max(bars.count, 1))
        for (i, (m, v)) in bars.enumerated() {
            let x = left + slot * Double(i) + slot * 0.2, bw = slot * 0.6, yy = y(v)
            s += "<rect x=\"\(x)\" y=\"\(yy)\" width=\"\(bw)\" height=\"\(h - bottom - yy)\" fill=\"\(colors[m]!)\"/>"
            s += "<text x=\"\(x + bw / 2)\" y=\"\(yy - 6)\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(formatMs(v)) ms</text>"
            s += "<text x=\"\(x + bw / 2)\" y=\"\(h - bottom + 20)\" text-anchor=\"middle\" font-size=\"13\">\(labels[m]!)</text>"
            if let j = jitMs, m != .jit {
                s += "<text x=\"\(x + bw / 2)\" y=\"\(h - bottom + 36)\" text-anchor=\"middle\" font-size=\"11\" fill=\"#555\">\(formatRatio(v / j)) the jit time</text>"
            }
            s += "\n"
        }
        s += "<line x1=\"\(left)\" x2=\"\(left)\" y1=\"\(top)\" y2=\"\(h - bottom)\" stroke=\"black\"/>"
        s += "<line x1=\"\(left)\" x2=\"\(w - right)\" y1=\"\(h - bottom)\" y2=\"\(h - bottom)\" stroke=\"black\"/>\n"
        s += "<text x=\"\(w / 2)\" y=\"\(h - 12)\" text-anchor=\"middle\" font-size=\"13\">execution mode</text>\n</svg>\n"
        return s
    }
}

private func pow10(_ e: Double) -> Double { (0..<Int(abs(e))).reduce(1.0) { r, _ in e < 0 ? r / 10 : r * 10 } }
private func log10(_ x: Double) -> Double { Foundation.log10(x) }
private func floor(_ x: Double) -> Double { x.rounded(.down) }
private func ceil(_ x: Double) -> Double { x.rounded(.up) }

/// A ratio such as `1322×` or `1.4×`.
private func formatRatio(_ r: Double) -> String { r >= 10 ? String(format: "%.0f×", r) : String(format: "%.2g×", r) }

/// A millisecond value with a sensible number of digits.
func formatMs(_ v: Double) -> String {
    v >= 100 ? String(format: "%.0f", v) : v >= 1 ? String(format: "%.3g", v) : String(format: "%.2g", v)
}
