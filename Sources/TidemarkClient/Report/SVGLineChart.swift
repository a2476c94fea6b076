/// A line chart as inline SVG: one polyline per series over shared x values, y from 0.
struct SVGLineChart {
    struct Series {
        var name: String
        var values: [Double]
    }

    var title: String
    /// One label per x position, shown for a few evenly spaced positions.
    var xLabels: [String]
    var yLabel: String
    var series: [Series]
    var width = 960.0
    var height = 320.0

    func render() -> String {
        let left = 56.0, right = 16.0, top = 16.0, bottom = 40.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let count = max(xLabels.count, series.map(\.values.count).max() ?? 0)
        let maximum = series.flatMap(\.values).max() ?? 0
        let ticks = ChartScale.ticks(maximum: maximum)
        let ceiling = ticks.last ?? 1
        func x(_ index: Int) -> Double {
            count <= 1 ? left + plotWidth / 2 : left + plotWidth * Double(index) / Double(count - 1)
        }
        func y(_ value: Double) -> Double {
            top + plotHeight * (1 - value / ceiling)
        }
        var svg = SVGChartParts.open(title: title, width: width, height: height)
        svg += SVGChartParts.grid(ticks: ticks, ceiling: ceiling, left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight)
        svg += "<line class=\"axis\" x1=\"\(left)\" x2=\"\(left)\" y1=\"\(top)\" y2=\"\(top + plotHeight)\"/>"
        svg += "<line class=\"axis\" x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(top + plotHeight)\" y2=\"\(top + plotHeight)\"/>"
        if count > 0 {
            let labelCount = min(count, 6)
            var shown = Set<Int>()
            for step in 0..<labelCount {
                let index = labelCount == 1 ? 0 : step * (count - 1) / (labelCount - 1)
                guard shown.insert(index).inserted, index < xLabels.count else { continue }
                let anchor = step == 0 ? "start" : step == labelCount - 1 ? "end" : "middle"
                svg += "<text x=\"\(ChartScale.coordinate(x(index)))\" y=\"\(top + plotHeight + 16)\" text-anchor=\"\(anchor)\">\(HTMLText.escape(xLabels[index]))</text>"
            }
        }
        svg += SVGChartParts.yLabel(yLabel, top: top, plotHeight: plotHeight)
        for (index, line) in series.enumerated() {
            let points = line.values.enumerated().map { "\(ChartScale.coordinate(x($0.offset))),\(ChartScale.coordinate(y($0.element)))" }
            let color = ReportPalette.color(index)
            if points.count == 1 {
                svg += "<circle cx=\"\(ChartScale.coordinate(x(0)))\" cy=\"\(ChartScale.coordinate(y(line.values[0])))\" r=\"3\" fill=\"\(color)\"><title>\(HTMLText.escape(line.name))</title></circle>"
            } else if !points.isEmpty {
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" points=\"\(points.joined(separator: " "))\"><title>\(HTMLText.escape(line.name))</title></polyline>"
            }
        }
        svg += "</svg>"
        let legend = series.enumerated().map { index, line in
            "<span><span class=\"swatch\" style=\"background:\(ReportPalette.color(index))\"></span>\(HTMLText.escape(line.name))</span>"
        }.joined()
        return svg + "<div class=\"legend\">\(legend)</div>"
    }
}
