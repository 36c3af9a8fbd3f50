use super::*;

#[test]
fn explore() {
    let t = std::time::Instant::now();
    let lake = build();
    eprintln!("built in {:?}", t.elapsed());
    for i in lake.indexes() {
        eprintln!(
            "{}: {} events, {} bytes",
            i.name,
            i.events().len(),
            i.total_bytes()
        );
    }
    for a in crate::lake::alerts_of(&lake) {
        eprintln!(
            "{} | {} | {}",
            a["name"], a["timestamp"], a["results_table"]
        );
    }
}
