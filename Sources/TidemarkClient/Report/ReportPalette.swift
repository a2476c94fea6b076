/// Colours for series, distinguishable on screen and in print, and the page's CSS.
enum ReportPalette {
    static let series = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
        "#17becf",
    ]

    static func color(_ index: Int) -> String {
        series[index % series.count]
    }

    /// Check outcomes in the order the protocol ranks reasons; valid first.
    static let outcomes: [(name: String, color: String)] = [
        ("valid", "#2ca02c"), ("changed", "#d62728"), ("pending", "#ff7f0e"), ("epoch", "#9467bd"),
        ("future", "#8c564b"), ("unknown", "#7f7f7f"), ("expired", "#bcbd22"),
    ]

    static let css = """
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; \
        max-width: 1000px; color: #222; background: #fff; padding: 0 1em; }
        h1 { font-size: 1.6em; margin-bottom: 0.2em; }
        h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
        p.meta, p.caption { color: #555; font-size: 0.9em; }
        p.note { background: #fff8e1; border-left: 4px solid #f0ad4e; padding: 0.5em 0.8em; }
        table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
        th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
        th { background: #f5f5f5; }
        td.number { text-align: right; font-variant-numeric: tabular-nums; }
        .legend { display: flex; flex-wrap: wrap; gap: 0.4em 1.2em; font-size: 0.85em; margin: 0.3em 0 0 3em; }
        .swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: -0.1em; }
        .figure { font-size: 1.6em; font-weight: 600; }
        svg text { font-family: inherit; font-size: 11px; fill: #444; }
        svg .grid { stroke: #e5e5e5; stroke-width: 1; }
        svg .axis { stroke: #888; stroke-width: 1; }
        details { margin-top: 1em; }
        div.wide { overflow-x: auto; }
        code { background: #f3f3f3; padding: 0 0.2em; }
        """
}
