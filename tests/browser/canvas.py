"""Helpers for driving the annotate page's canvas from Playwright."""


def to_page(page, x, y):
    """Image pixel (x, y) -> page coordinates of the canvas, from the app's own view."""
    return page.evaluate(
        """([x, y]) => {
            const v = window.hitlAnnotate.view();
            const r = document.getElementById('canvas').getBoundingClientRect();
            return [r.left + x * v.scale + v.tx, r.top + y * v.scale + v.ty];
        }""",
        [x, y],
    )
