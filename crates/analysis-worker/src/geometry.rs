//! Which zones a detection is in.
//!
//! Zones are drawn in coordinates normalised to the frame (0..1). A detection is in a
//! zone when the bottom centre of its box — where a person's feet or a car's wheels
//! touch the ground — lies inside the zone's polygon.

/// A point in normalised frame coordinates.
pub type Point = (f64, f64);

/// The bottom centre of a box, normalised by the frame size; `None` without a size.
pub fn ground_point(
    x: i32,
    y: i32,
    width: i32,
    height: i32,
    frame_width: i32,
    frame_height: i32,
) -> Option<Point> {
    (frame_width > 0 && frame_height > 0).then(|| {
        (
            (f64::from(x) + f64::from(width) / 2.0) / f64::from(frame_width),
            f64::from(y + height) / f64::from(frame_height),
        )
    })
}

/// Reads a zone's `coordinates` JSON: a list of `[x, y]` pairs (or `{"x":..,"y":..}`).
/// A rectangle may be given by two opposite corners.
pub fn parse_polygon(coordinates: &serde_json::Value, rectangle: bool) -> Option<Vec<Point>> {
    let points: Vec<Point> = coordinates
        .as_array()?
        .iter()
        .map(|p| match p {
            serde_json::Value::Array(xy) if xy.len() == 2 => {
                Some((xy[0].as_f64()?, xy[1].as_f64()?))
            }
            serde_json::Value::Object(xy) => Some((xy.get("x")?.as_f64()?, xy.get("y")?.as_f64()?)),
            _ => None,
        })
        .collect::<Option<_>>()?;
    match points.as_slice() {
        [(x1, y1), (x2, y2)] if rectangle => {
            Some(vec![(*x1, *y1), (*x2, *y1), (*x2, *y2), (*x1, *y2)])
        }
        _ if points.len() >= 3 => Some(points),
        _ => None,
    }
}

/// Even-odd ray casting; points on an edge count as inside.
pub fn contains(polygon: &[Point], (px, py): Point) -> bool {
    let mut inside = false;
    let mut j = polygon.len().wrapping_sub(1);
    for i in 0..polygon.len() {
        let (xi, yi) = polygon[i];
        let (xj, yj) = polygon[j];
        if on_segment((xi, yi), (xj, yj), (px, py)) {
            return true;
        }
        if (yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

fn on_segment((ax, ay): Point, (bx, by): Point, (px, py): Point) -> bool {
    let cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
    cross.abs() < 1e-12
        && px >= ax.min(bx)
        && px <= ax.max(bx)
        && py >= ay.min(by)
        && py <= ay.max(by)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ground_point_is_the_bottom_centre() {
        assert_eq!(ground_point(100, 50, 40, 150, 400, 200), Some((0.3, 1.0)));
        assert_eq!(ground_point(0, 0, 10, 10, 0, 100), None);
    }

    #[test]
    fn polygons_and_rectangles_parse() {
        let rect = parse_polygon(&json!([[0.1, 0.5], [0.9, 1.0]]), true).expect("rectangle");
        assert_eq!(rect.len(), 4);
        assert!(contains(&rect, (0.5, 0.75)));
        let tri = parse_polygon(
            &json!([{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 0, "y": 1}]),
            false,
        )
        .expect("triangle");
        assert_eq!(tri.len(), 3);
        assert!(
            parse_polygon(&json!([[0, 0], [1, 1]]), false).is_none(),
            "two points are no polygon"
        );
        assert!(parse_polygon(&json!({"x": 1}), false).is_none());
        assert!(parse_polygon(&json!([[0, "a"], [1, 1], [0, 1]]), false).is_none());
    }

    #[test]
    fn point_in_polygon_handles_concave_shapes_and_edges() {
        // An L shape: the notch at the top right is outside.
        let l = [
            (0.0, 0.0),
            (0.5, 0.0),
            (0.5, 0.5),
            (1.0, 0.5),
            (1.0, 1.0),
            (0.0, 1.0),
        ];
        assert!(contains(&l, (0.25, 0.25)));
        assert!(contains(&l, (0.75, 0.75)));
        assert!(!contains(&l, (0.75, 0.25)), "the notch");
        assert!(contains(&l, (0.5, 0.25)), "on an edge");
        assert!(contains(&l, (1.0, 1.0)), "a vertex");
        assert!(!contains(&l, (1.01, 0.75)));
    }
}
