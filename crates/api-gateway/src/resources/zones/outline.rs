//! A zone's outline: checked point by point, and stored in the one format the
//! analysis-worker reads (`hsi_analysis_worker::geometry::parse_polygon`): a JSON list
//! of `[x, y]` pairs, a rectangle as its two opposite corners.

use crate::error::{ApiError, ApiResult};
use crate::pb::ZonePoint;
use serde_json::Value;

/// Most points a polygon may have.
pub const MAX_POINTS: usize = 100;

type Point = (f64, f64);

/// Below this, a cross product counts as zero (coordinates are at most 1).
const EPSILON: f64 = 1e-12;

/// Checks `points` for a zone of `shape` ("rectangle" or "polygon") and answers them as
/// stored: a rectangle's corners top-left then bottom-right, a polygon as drawn.
pub fn check(shape: &str, points: &[ZonePoint]) -> ApiResult<Vec<Point>> {
    if points.len() > MAX_POINTS {
        return Err(ApiError::invalid(
            "points",
            format!(
                "{} points is more than the {MAX_POINTS} a zone may have",
                points.len()
            ),
        ));
    }
    let mut checked = Vec::with_capacity(points.len());
    for (i, point) in points.iter().enumerate() {
        for (axis, value) in [("x", point.x), ("y", point.y)] {
            if !value.is_finite() || !(0.0..=1.0).contains(&value) {
                return Err(ApiError::invalid(
                    format!("points[{i}].{axis}"),
                    format!("{axis} is {value}; coordinates are normalised to the frame, 0 to 1"),
                ));
            }
        }
        checked.push((point.x, point.y));
    }
    match shape {
        "rectangle" => rectangle(&checked),
        _ => polygon(&checked).map(|()| checked),
    }
}

fn rectangle(points: &[Point]) -> ApiResult<Vec<Point>> {
    let [(x1, y1), (x2, y2)] = points else {
        return Err(ApiError::invalid(
            "points",
            format!(
                "a rectangle is given by exactly 2 opposite corners; got {} points",
                points.len()
            ),
        ));
    };
    if x1 == x2 {
        return Err(ApiError::invalid(
            "points[1].x",
            "the corners have the same x: the rectangle has no width",
        ));
    }
    if y1 == y2 {
        return Err(ApiError::invalid(
            "points[1].y",
            "the corners have the same y: the rectangle has no height",
        ));
    }
    Ok(vec![(x1.min(*x2), y1.min(*y2)), (x1.max(*x2), y1.max(*y2))])
}

fn polygon(points: &[Point]) -> ApiResult<()> {
    let n = points.len();
    if n < 3 {
        return Err(ApiError::invalid(
            "points",
            format!("a polygon needs at least 3 points; got {n}"),
        ));
    }
    for i in 0..n {
        let next = (i + 1) % n;
        if next == 0 && points[i] == points[0] {
            return Err(ApiError::invalid(
                format!("points[{i}]"),
                "the last point repeats the first; the outline closes by itself, leave it out",
            ));
        }
        if points[i] == points[next] {
            return Err(ApiError::invalid(
                format!("points[{next}]"),
                format!("point {next} repeats point {i}, the point before it"),
            ));
        }
    }
    for i in 0..n {
        let (a, b, c) = (points[i], points[(i + 1) % n], points[(i + 2) % n]);
        // Consecutive edges that run back over each other make a spike of no width.
        if cross(a, b, c).abs() < EPSILON && dot(a, b, c) > 0.0 {
            return Err(ApiError::invalid(
                format!("points[{}]", (i + 2) % n),
                format!("the outline folds back on itself at point {}", (i + 1) % n),
            ));
        }
    }
    for i in 0..n {
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue; // the closing edge is adjacent to the first
            }
            let (a, b) = (points[i], points[(i + 1) % n]);
            let (c, d) = (points[j], points[(j + 1) % n]);
            if segments_meet(a, b, c, d) {
                return Err(ApiError::invalid(
                    "points",
                    format!(
                        "the outline crosses itself: the edge from point {i} to {} meets the \
                         edge from point {j} to {}",
                        (i + 1) % n,
                        (j + 1) % n
                    ),
                ));
            }
        }
    }
    if area(points).abs() < EPSILON {
        return Err(ApiError::invalid("points", "the polygon encloses no area"));
    }
    Ok(())
}

/// The z component of (b - a) × (c - a): positive when a, b, c turn left.
fn cross(a: Point, b: Point, c: Point) -> f64 {
    (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)
}

/// (a - b) · (c - b): positive when a and c lie on the same side of b.
fn dot(a: Point, b: Point, c: Point) -> f64 {
    (a.0 - b.0) * (c.0 - b.0) + (a.1 - b.1) * (c.1 - b.1)
}

fn sign(value: f64) -> i8 {
    if value > EPSILON {
        1
    } else if value < -EPSILON {
        -1
    } else {
        0
    }
}

/// Whether `p`, known to be on the line through a and b, lies within the segment.
fn within(a: Point, b: Point, p: Point) -> bool {
    p.0 >= a.0.min(b.0) && p.0 <= a.0.max(b.0) && p.1 >= a.1.min(b.1) && p.1 <= a.1.max(b.1)
}

/// Whether segments ab and cd cross or touch.
fn segments_meet(a: Point, b: Point, c: Point, d: Point) -> bool {
    let (d1, d2) = (sign(cross(c, d, a)), sign(cross(c, d, b)));
    let (d3, d4) = (sign(cross(a, b, c)), sign(cross(a, b, d)));
    if d1 * d2 < 0 && d3 * d4 < 0 {
        return true;
    }
    (d1 == 0 && within(c, d, a))
        || (d2 == 0 && within(c, d, b))
        || (d3 == 0 && within(a, b, c))
        || (d4 == 0 && within(a, b, d))
}

/// Twice the signed area (shoelace).
fn area(points: &[Point]) -> f64 {
    let n = points.len();
    (0..n)
        .map(|i| {
            let (a, b) = (points[i], points[(i + 1) % n]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum()
}

/// The `coordinates` JSON of checked points.
pub fn to_json(points: &[Point]) -> Value {
    Value::Array(
        points
            .iter()
            .map(|(x, y)| serde_json::json!([x, y]))
            .collect(),
    )
}

/// Points from stored `coordinates`: `[x, y]` pairs, or `{"x", "y"}` objects as older
/// rows may have; anything else reads as no points.
pub fn from_json(coordinates: &Value) -> Vec<ZonePoint> {
    let point = |value: &Value| match value {
        Value::Array(xy) if xy.len() == 2 => Some(ZonePoint {
            x: xy[0].as_f64()?,
            y: xy[1].as_f64()?,
        }),
        Value::Object(xy) => Some(ZonePoint {
            x: xy.get("x")?.as_f64()?,
            y: xy.get("y")?.as_f64()?,
        }),
        _ => None,
    };
    coordinates
        .as_array()
        .and_then(|items| items.iter().map(point).collect::<Option<Vec<_>>>())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(points: &[(f64, f64)]) -> Vec<ZonePoint> {
        points.iter().map(|&(x, y)| ZonePoint { x, y }).collect()
    }

    fn field(shape: &str, points: &[(f64, f64)]) -> String {
        check(shape, &pts(points))
            .unwrap_err()
            .field
            .unwrap_or_default()
    }

    #[test]
    fn rectangles_are_two_corners_stored_top_left_first() {
        let stored = check("rectangle", &pts(&[(0.9, 1.0), (0.1, 0.5)])).unwrap();
        assert_eq!(stored, [(0.1, 0.5), (0.9, 1.0)]);
        assert_eq!(field("rectangle", &[(0.1, 0.1), (0.1, 0.5)]), "points[1].x");
        assert_eq!(field("rectangle", &[(0.1, 0.5), (0.4, 0.5)]), "points[1].y");
        assert_eq!(
            field("rectangle", &[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]),
            "points"
        );
    }

    #[test]
    fn coordinates_outside_the_frame_name_their_point() {
        assert_eq!(
            field("polygon", &[(0.0, 0.0), (1.0, 0.0), (0.5, 1.5)]),
            "points[2].y"
        );
        assert_eq!(
            field("polygon", &[(0.0, 0.0), (f64::NAN, 0.0), (0.5, 1.0)]),
            "points[1].x"
        );
        assert_eq!(
            field("rectangle", &[(-0.1, 0.0), (1.0, 1.0)]),
            "points[0].x"
        );
    }

    #[test]
    fn polygons_must_be_simple_with_an_area() {
        assert!(check("polygon", &pts(&[(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)])).is_ok());
        // An L shape (concave) is fine.
        let l = [
            (0.0, 0.0),
            (0.5, 0.0),
            (0.5, 0.5),
            (1.0, 0.5),
            (1.0, 1.0),
            (0.0, 1.0),
        ];
        assert!(check("polygon", &pts(&l)).is_ok());
        assert_eq!(field("polygon", &[(0.0, 0.0), (1.0, 1.0)]), "points");
        let bow_tie = [(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)];
        let err = check("polygon", &pts(&bow_tie)).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("points"));
        assert!(err.message.contains("crosses itself"), "{}", err.message);
        assert_eq!(
            field("polygon", &[(0.0, 0.0), (0.5, 0.0), (0.5, 0.0), (0.0, 1.0)]),
            "points[2]"
        );
        assert_eq!(
            field("polygon", &[(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]),
            "points[3]"
        );
        // Points on one line: the outline runs out and back, enclosing nothing.
        let flat = check("polygon", &pts(&[(0.0, 0.0), (0.5, 0.5), (1.0, 1.0)])).unwrap_err();
        assert_eq!(flat.field.as_deref(), Some("points[0]"));
        assert!(flat.message.contains("folds back"), "{}", flat.message);
        // Three points on a line within a larger outline are fine.
        let straight = [(0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (0.5, 1.0)];
        assert!(check("polygon", &pts(&straight)).is_ok());
        let spike = [(0.0, 0.0), (1.0, 0.0), (0.5, 0.0), (0.5, 1.0)];
        assert_eq!(field("polygon", &spike), "points[2]");
        // Two triangles touching at a vertex: not a simple polygon.
        let figure_eight = [
            (0.0, 0.0),
            (0.5, 0.5),
            (1.0, 0.0),
            (1.0, 1.0),
            (0.5, 0.5),
            (0.0, 1.0),
        ];
        assert_eq!(field("polygon", &figure_eight), "points");
        let too_many: Vec<(f64, f64)> = (0..=MAX_POINTS).map(|i| (i as f64 / 200.0, 0.5)).collect();
        assert_eq!(field("polygon", &too_many), "points");
    }

    #[test]
    fn stored_json_reads_back() {
        let stored = to_json(&[(0.1, 0.2), (0.3, 0.4)]);
        assert_eq!(stored, serde_json::json!([[0.1, 0.2], [0.3, 0.4]]));
        let points = from_json(&stored);
        assert_eq!((points[1].x, points[1].y), (0.3, 0.4));
        assert_eq!(from_json(&serde_json::json!([{"x": 0.5, "y": 1}])).len(), 1);
        assert!(from_json(&serde_json::json!({"x": 1})).is_empty());
    }
}
