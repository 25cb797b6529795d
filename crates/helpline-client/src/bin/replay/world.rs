//! The replayed world: the problems of `bench/replay/problems.toml` and the calls of a
//! period drawn from them with a seed. Everything here is a pure function of the data
//! file, the seed and the working days, so the same seed gives the same calls.

use anyhow::{Context as _, Result, bail};
use helpline_domain::Timestamp;
use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};
use serde::Deserialize;

/// The data file, built in so the sim runs from anywhere.
pub const PROBLEMS_TOML: &str = include_str!("../../../../../bench/replay/problems.toml");

const HOUR_MS: i64 = 60 * 60 * 1000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldFile {
    pub world: Settings,
    pub departments: Vec<String>,
    pub categories: Vec<String>,
    #[serde(rename = "agent")]
    pub agents: Vec<AgentSpec>,
    #[serde(rename = "problem")]
    pub problems: Vec<Problem>,
    #[serde(rename = "one_off")]
    pub one_offs: Vec<OneOff>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub zipf: f64,
    pub one_off_share: f64,
    pub calls_per_day: [u32; 2],
    pub day_start_hour: i64,
    pub day_end_hour: i64,
    pub typo_share: f64,
    /// Second level writes the article once it has solved a problem this often.
    pub article_after: u32,
}

/// An agent the hub is set up with (`cargo xtask replay` and the test create them).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSpec {
    pub login: String,
    pub name: String,
    pub role: String,
    pub department: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    pub key: String,
    pub category: String,
    #[serde(default)]
    pub consult: bool,
    /// The share of the period before the problem first appears.
    #[serde(default)]
    pub from: f64,
    pub resolution: String,
    pub subjects: Vec<String>,
    pub descriptions: Vec<String>,
    pub consult_question: Option<String>,
    pub consult_answer: Option<String>,
    pub article: Article,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Article {
    pub title: String,
    pub tags: Vec<String>,
    pub body: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneOff {
    pub subject: String,
    pub description: String,
    pub category: String,
}

impl WorldFile {
    pub fn load() -> Result<WorldFile> {
        let world: WorldFile = toml::from_str(PROBLEMS_TOML).context("bench/replay/problems.toml is not valid")?;
        world.check()?;
        Ok(world)
    }

    fn check(&self) -> Result<()> {
        if self.problems.is_empty() || self.one_offs.is_empty() {
            bail!("the world needs recurring and one-off problems");
        }
        for p in &self.problems {
            if p.subjects.is_empty() || p.descriptions.is_empty() {
                bail!("problem {} has no phrasings", p.key);
            }
            if p.consult && (p.consult_question.is_none() || p.consult_answer.is_none()) {
                bail!("problem {} is consulted but has no question and answer", p.key);
            }
        }
        for a in &self.agents {
            if a.login.trim().is_empty() || a.name.trim().is_empty() {
                bail!("an agent without a login or a name");
            }
            if let Some(d) = &a.department
                && !self.departments.contains(d)
            {
                bail!("agent {}'s department {d:?} is not in the world's departments", a.login);
            }
        }
        let categories = self.problems.iter().map(|p| &p.category).chain(self.one_offs.iter().map(|o| &o.category));
        for c in categories {
            if !self.categories.contains(c) {
                bail!("category {c:?} is not in the world's categories");
            }
        }
        let [low, high] = self.world.calls_per_day;
        if low == 0 || low > high || self.world.day_start_hour >= self.world.day_end_hour {
            bail!("calls_per_day and the working hours must make sense");
        }
        Ok(())
    }

    /// The n-th problem's share of the recurring calls (Zipf-like by rank), among those
    /// that already appear at `progress` (0..1 of the period).
    fn weights(&self, progress: f64) -> Vec<f64> {
        self.problems
            .iter()
            .enumerate()
            .map(|(i, p)| if p.from <= progress { 1.0 / ((i + 1) as f64).powf(self.world.zipf) } else { 0.0 })
            .collect()
    }
}

/// What a call is about: a recurring problem (its index) or a one-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Topic {
    Recurring(usize),
    OneOff(usize),
}

/// One call as the replay plays it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedCall {
    pub at: Timestamp,
    /// Which working day of the period (0-based, counting calendar days).
    pub day: usize,
    pub topic: Topic,
    pub subject: String,
    pub description: String,
    pub category: String,
    /// Which first-level agent takes it.
    pub agent: usize,
    pub duration_seconds: u32,
}

/// The working days: local midnights, and whether each is a weekday.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// Local day starts from the first replayed day on (past the period too, so work
    /// left at its end rolls over into the next working day).
    pub day_starts: Vec<Timestamp>,
    pub days: usize,
    pub start_hour: i64,
    pub end_hour: i64,
}

impl Calendar {
    /// The `days` local days before today (in `time_zone`), and a week after them.
    pub fn ending_before(now: Timestamp, days: usize, time_zone: &str, settings: &Settings) -> Calendar {
        let from = Timestamp::from_millis(now.as_millis() - days as i64 * DAY_MS);
        let to = Timestamp::from_millis(now.as_millis() + 8 * DAY_MS);
        let mut day_starts = helpline_domain::local_day_starts(from, to, time_zone);
        // The local day of `from` is the first replayed one when it is `days` days before
        // today's; the list starts there.
        let today = helpline_domain::local_day_starts(now, now, time_zone)[0];
        let first = day_starts.iter().position(|d| *d >= today).map_or(0, |i| i.saturating_sub(days));
        day_starts.drain(..first);
        Calendar { day_starts, days, start_hour: settings.day_start_hour, end_hour: settings.day_end_hour }
    }

    /// Monday to Friday (the weekday of the local date of a day's start).
    pub fn is_working_day(&self, day: usize) -> bool {
        let Some(start) = self.day_starts.get(day) else { return false };
        let date = (start.as_millis() + 12 * HOUR_MS).div_euclid(DAY_MS);
        (date + 3).rem_euclid(7) < 5
    }

    pub fn day_of(&self, t: Timestamp) -> usize {
        self.day_starts.partition_point(|d| *d <= t).saturating_sub(1)
    }

    fn opens(&self, day: usize) -> i64 {
        self.day_starts[day].as_millis() + self.start_hour * HOUR_MS
    }

    fn closes(&self, day: usize) -> i64 {
        self.day_starts[day].as_millis() + self.end_hour * HOUR_MS
    }

    /// `t`, or when it falls outside working hours, the next opening (plus what ran over
    /// the evening before, at most an hour: the work was begun).
    pub fn in_working_hours(&self, t: Timestamp) -> Timestamp {
        let mut day = self.day_of(t);
        let at = t.as_millis();
        if self.is_working_day(day) && at < self.closes(day) {
            return Timestamp::from_millis(at.max(self.opens(day)));
        }
        let over = if self.is_working_day(day) { (at - self.closes(day)).clamp(0, HOUR_MS) } else { 0 };
        loop {
            day += 1;
            if day >= self.day_starts.len() {
                return t;
            }
            if self.is_working_day(day) {
                return Timestamp::from_millis(self.opens(day) + over);
            }
        }
    }
}

/// Every call of the period, in time order. `first_level` agents share them.
pub fn plan_calls(world: &WorldFile, calendar: &Calendar, seed: u64, first_level: usize) -> Vec<PlannedCall> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let s = &world.world;
    let mut calls = Vec::new();
    for day in 0..calendar.days {
        if !calendar.is_working_day(day) {
            continue;
        }
        let progress = day as f64 / calendar.days.max(1) as f64;
        let weights = world.weights(progress);
        let total: f64 = weights.iter().sum();
        let n = rng.random_range(s.calls_per_day[0]..=s.calls_per_day[1]);
        let (open, close) = (calendar.opens(day), calendar.closes(day));
        let mut times: Vec<i64> = (0..n).map(|_| rng.random_range(open..close)).collect();
        times.sort_unstable();
        for at in times {
            let topic = if rng.random_bool(s.one_off_share) {
                Topic::OneOff(rng.random_range(0..world.one_offs.len()))
            } else {
                let mut x = rng.random_range(0.0..total);
                let mut chosen = 0;
                for (i, w) in weights.iter().enumerate() {
                    if *w > 0.0 {
                        chosen = i;
                        if x < *w {
                            break;
                        }
                        x -= w;
                    }
                }
                Topic::Recurring(chosen)
            };
            let (mut subject, mut description, category) = match topic {
                Topic::Recurring(i) => {
                    let p = &world.problems[i];
                    (
                        p.subjects[rng.random_range(0..p.subjects.len())].clone(),
                        p.descriptions[rng.random_range(0..p.descriptions.len())].clone(),
                        p.category.clone(),
                    )
                }
                Topic::OneOff(i) => {
                    let o = &world.one_offs[i];
                    (o.subject.clone(), o.description.clone(), o.category.clone())
                }
            };
            if rng.random_bool(s.typo_share) {
                if rng.random_bool(0.5) {
                    subject = with_typo(&subject, &mut rng);
                } else {
                    description = with_typo(&description, &mut rng);
                }
            }
            calls.push(PlannedCall {
                at: Timestamp::from_millis(at),
                day,
                topic,
                subject,
                description,
                category,
                agent: rng.random_range(0..first_level.max(1)),
                duration_seconds: rng.random_range(90..=720),
            });
        }
    }
    calls
}

/// Two neighbouring letters of one longer word swapped, as fast typists do.
fn with_typo(text: &str, rng: &mut SmallRng) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let long: Vec<usize> =
        (0..words.len()).filter(|i| words[*i].chars().filter(|c| c.is_alphabetic()).count() >= 5).collect();
    if long.is_empty() {
        return text.to_owned();
    }
    let w = long[rng.random_range(0..long.len())];
    let mut chars: Vec<char> = words[w].chars().collect();
    let letters: Vec<usize> =
        (0..chars.len() - 1).filter(|i| chars[*i].is_alphabetic() && chars[*i + 1].is_alphabetic()).collect();
    if let Some(&i) = letters.get(rng.random_range(0..letters.len().max(1))) {
        chars.swap(i, i + 1);
    }
    let typo: String = chars.into_iter().collect();
    words.iter().enumerate().map(|(i, word)| if i == w { typo.as_str() } else { word }).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar(world: &WorldFile, days: usize) -> Calendar {
        // A fixed "now": Thursday 2025-03-13 12:00 UTC.
        Calendar::ending_before(Timestamp::from_millis(1_741_867_200_000), days, "Europe/Berlin", &world.world)
    }

    #[test]
    fn the_data_file_reads_and_keeps_its_rules() {
        let world = WorldFile::load().unwrap();
        assert!((12..=20).contains(&world.problems.len()), "{} recurring problems", world.problems.len());
        assert!(world.one_offs.len() >= 20);
        assert!(world.agents.iter().any(|a| a.role == "supervisor"));
    }

    #[test]
    fn the_same_seed_plans_the_same_calls_and_another_seed_others() {
        let world = WorldFile::load().unwrap();
        let cal = calendar(&world, 28);
        let a = plan_calls(&world, &cal, 42, 4);
        assert_eq!(a, plan_calls(&world, &cal, 42, 4));
        assert_ne!(a, plan_calls(&world, &cal, 43, 4));
        // Four weeks of five working days, 40 to 80 calls each.
        assert!((20 * 40..=20 * 80).contains(&a.len()), "{} calls", a.len());
        assert!(a.windows(2).all(|w| w[0].at <= w[1].at));
        let one_offs = a.iter().filter(|c| matches!(c.topic, Topic::OneOff(_))).count() as f64;
        let share = one_offs / a.len() as f64;
        assert!((0.18..0.32).contains(&share), "one-off share {share}");
    }

    #[test]
    fn the_days_are_the_ones_before_today_and_weekends_are_free() {
        let world = WorldFile::load().unwrap();
        let cal = calendar(&world, 7);
        let now = Timestamp::from_millis(1_741_867_200_000);
        assert!(cal.day_starts[6] < now && cal.day_starts[7] <= now && cal.day_starts[8] > now);
        assert_eq!((0..7).filter(|d| cal.is_working_day(*d)).count(), 5);
        // Thursday 13 March is today: the period is Thursday 6 to Wednesday 12 March.
        assert!(cal.is_working_day(0) && !cal.is_working_day(2) && !cal.is_working_day(3));
        for c in plan_calls(&world, &cal, 1, 3) {
            assert!(cal.is_working_day(c.day) && c.at < now);
        }
    }

    #[test]
    fn work_after_hours_waits_for_the_next_working_morning() {
        let world = WorldFile::load().unwrap();
        let cal = calendar(&world, 7);
        // Friday 7 March, 18:30 local (17:30 UTC) → Monday 10 March 08:30 local.
        let friday_evening = Timestamp::from_millis(cal.day_starts[1].as_millis() + 18 * HOUR_MS + 30 * 60 * 1000);
        let next = cal.in_working_hours(friday_evening);
        assert_eq!(next.as_millis(), cal.day_starts[4].as_millis() + 8 * HOUR_MS + 60 * 60 * 1000);
        let inside = Timestamp::from_millis(cal.day_starts[4].as_millis() + 10 * HOUR_MS);
        assert_eq!(cal.in_working_hours(inside), inside);
    }

    #[test]
    fn a_typo_swaps_two_letters_of_one_word() {
        let mut rng = SmallRng::seed_from_u64(7);
        let typo = with_typo("Drucker geht nicht mehr", &mut rng);
        assert_ne!(typo, "Drucker geht nicht mehr");
        assert_eq!(typo.len(), "Drucker geht nicht mehr".len());
        assert_eq!(with_typo("ab cd", &mut rng), "ab cd");
    }
}
