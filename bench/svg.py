"""Hand-written SVG charts for docs/benchmarks.md: no plotting package needed.

bars(): a horizontal bar chart in groups (the size breakdown, throughput).
timeline(): milestones on a time axis, the median as a dot and min..max as a line.
"""
import html
import math

FONT = 'font-family="sans-serif" font-size="12"'
COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948")


def _esc(s):
    return html.escape(str(s), quote=True)


def _nice_step(span, ticks=6):
    if span <= 0:
        return 1
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _svg(width, height, body, title):
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
            'viewBox="0 0 %d %d">\n<title>%s</title>\n'
            '<rect width="100%%" height="100%%" fill="white"/>\n%s</svg>\n'
            % (width, height, width, height, _esc(title), "".join(body)))


def bars(title, groups, unit_label, fmt, width=760):
    """groups: [(group title, [(label, value)])]; fmt(value) -> text next to the bar."""
    label_w, value_w, row_h, left = 250, 110, 20, 10
    plot_w = width - label_w - value_w - 2 * left
    vmax = max([v for _, rows in groups for _, v in rows] + [1])
    y = 34
    body = ['<text x="%d" y="20" %s font-weight="bold">%s</text>\n' % (left, FONT, _esc(title))]
    for gi, (gtitle, rows) in enumerate(groups):
        body.append('<text x="%d" y="%d" %s font-style="italic">%s</text>\n'
                    % (left, y + 12, FONT, _esc(gtitle)))
        y += 20
        color = COLORS[gi % len(COLORS)]
        for label, v in rows:
            w = max(1.0, plot_w * v / vmax)
            x0 = left + label_w
            body.append('<text x="%d" y="%d" %s text-anchor="end">%s</text>\n'
                        % (x0 - 6, y + 14, FONT, _esc(label)))
            body.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>\n'
                        % (x0, y + 3, w, row_h - 6, color))
            body.append('<text x="%.1f" y="%d" %s>%s</text>\n'
                        % (x0 + w + 6, y + 14, FONT, _esc(fmt(v))))
            y += row_h
        y += 8
    body.append('<text x="%d" y="%d" %s fill="#555">%s</text>\n'
                % (left, y + 12, FONT, _esc(unit_label)))
    return _svg(width, y + 22, body, title)


def timeline(title, rows, note="", width=760):
    """rows: [(label, median, min, max)] in seconds (median None: not reached)."""
    label_w, right, row_h, top = 250, 70, 24, 40
    plot_w = width - label_w - right - 10
    tmax = max([r[3] for r in rows if r[1] is not None] + [1.0])
    step = _nice_step(tmax)
    tmax = math.ceil(tmax / step) * step
    x = lambda t: label_w + plot_w * t / tmax
    height = top + row_h * len(rows) + 50
    body = ['<text x="10" y="20" %s font-weight="bold">%s</text>\n' % (FONT, _esc(title))]
    bottom = top + row_h * len(rows)
    t = 0.0
    while t <= tmax + 1e-9:
        body.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>\n'
                    % (x(t), top - 6, x(t), bottom))
        body.append('<text x="%.1f" y="%d" %s text-anchor="middle">%g</text>\n'
                    % (x(t), bottom + 16, FONT, round(t, 3)))
        t += step
    body.append('<text x="%.1f" y="%d" %s text-anchor="middle">seconds since QEMU started'
                '</text>\n' % (x(tmax / 2), bottom + 34, FONT))
    for i, (label, med, lo, hi) in enumerate(rows):
        y = top + i * row_h + row_h / 2
        body.append('<text x="%d" y="%.1f" %s text-anchor="end">%s</text>\n'
                    % (label_w - 8, y + 4, FONT, _esc(label)))
        if med is None:
            body.append('<text x="%d" y="%.1f" %s fill="#999">not reached</text>\n'
                        % (label_w + 4, y + 4, FONT))
            continue
        body.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#4e79a7" '
                    'stroke-width="3"/>\n' % (x(lo), y, max(x(hi), x(lo) + 1), y))
        body.append('<circle cx="%.1f" cy="%.1f" r="5" fill="#e15759"/>\n' % (x(med), y))
        body.append('<text x="%.1f" y="%.1f" %s>%.2f</text>\n'
                    % (max(x(hi), x(med)) + 8, y + 4, FONT, med))
    if note:
        body.append('<text x="10" y="%d" %s fill="#555">%s</text>\n'
                    % (height - 4, FONT, _esc(note)))
        height += 4
    return _svg(width, height, body, title)
