//! `sweep`: the grid of the updates whose value is a list, run point by point (here one
//! after the other, `-j N` at a time in processes of their own) or queued with `-q`.
//!
//! Which lists sweep: for a parameter whose type is a list (`Vec<…>`, an array, a tuple,
//! or a default that is a list) a list is its value and a list of lists sweeps it; for any
//! other parameter a list sweeps it. A list holding one list (`x=[[1,2]]`) is always the
//! one value `[1,2]`.
//!
//! The grid's points are in the order of the updates, the last key varying fastest.
//! `--random N` draws N grid indices with `seed_for(sweep_seed, "sweep.draw.K")` (distinct
//! while N is at most the grid's size). The sweep's seed is `seed=S` when given, else
//! `seed_for(0, "sweep:" + the updates as typed)`: the same sweep draws the same points.
//! The point at grid index I gets the seed `seed_for(sweep_seed, "sweep.point.I")`, in the
//! range of the experiment's seed, unless `seed` is swept.

use serde_json::{Map, Value, json};

use super::stop::{POLL, RunProcess, Stop};
use super::{args::run_flags, spawn_self};
use crate::cli::{Flags, Update};
use crate::experiment::Experiment;
use crate::lifecycle::{Request, run_observed};
use crate::log::Logger;
use crate::seed::{MAX_SAFE_SEED, SEED_KEY, seed_for};
use crate::{Env, Error, Outcome};

/// One swept key and its values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    /// The dotted key.
    pub(crate) key: String,
    /// Its values, in the order given.
    pub(crate) values: Vec<Value>,
}

/// A sweep: the updates every point has, and the swept keys.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Grid {
    /// Updates that are not swept (a list holding one list unwrapped).
    pub(crate) fixed: Vec<Update>,
    /// The swept keys, in the order given.
    pub(crate) axes: Vec<Axis>,
}

impl Grid {
    /// Splits `updates` into the fixed ones and the swept keys; `list_typed` says whether a
    /// key's parameter is a list.
    pub(crate) fn new(
        updates: &[Update],
        list_typed: impl Fn(&str) -> bool,
    ) -> Result<Self, Error> {
        let mut grid = Grid {
            fixed: Vec::new(),
            axes: Vec::new(),
        };
        for update in updates {
            let Update::Set { key, value, .. } = update else {
                grid.fixed.push(update.clone());
                continue;
            };
            let Value::Array(items) = value else {
                grid.fixed.push(update.clone());
                continue;
            };
            if let [Value::Array(_)] = items.as_slice() {
                grid.fixed.push(set(key, items[0].clone()));
                continue;
            }
            let lists = items.iter().all(Value::is_array);
            if list_typed(key) && !lists {
                grid.fixed.push(update.clone());
                continue;
            }
            if items.is_empty() {
                return Err(Error::usage(format!(
                    "`sweep`: `{key}=[]` sweeps no values; give at least one"
                )));
            }
            if grid.axes.iter().any(|axis| axis.key == *key) {
                return Err(Error::usage(format!("`sweep`: `{key}` is swept twice")));
            }
            grid.axes.push(Axis {
                key: key.clone(),
                values: items.clone(),
            });
        }
        Ok(grid)
    }

    /// How many points the grid has.
    pub(crate) fn size(&self) -> u64 {
        self.axes
            .iter()
            .map(|axis| axis.values.len() as u64)
            .fold(1, u64::saturating_mul)
    }

    /// The point at grid index `index`: each swept key with its value.
    pub(crate) fn point(&self, index: u64) -> Vec<(String, Value)> {
        let mut rest = index;
        let mut point: Vec<(String, Value)> = self
            .axes
            .iter()
            .rev()
            .map(|axis| {
                let n = axis.values.len() as u64;
                let at = usize::try_from(rest % n).unwrap_or(0);
                rest /= n;
                (axis.key.clone(), axis.values[at].clone())
            })
            .collect();
        point.reverse();
        point
    }

    /// The grid indices a sweep runs: all of them in order, or `random` drawn with `seed`.
    pub(crate) fn indices(&self, random: Option<u64>, seed: u64) -> Vec<u64> {
        let size = self.size();
        let Some(count) = random else {
            return (0..size).collect();
        };
        let distinct = count <= size;
        let mut drawn = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut k: u64 = 0;
        while (drawn.len() as u64) < count {
            let index = seed_for(seed, &format!("sweep.draw.{k}")) % size;
            k += 1;
            if !distinct || seen.insert(index) {
                drawn.push(index);
            }
        }
        drawn
    }
}

/// An update setting `key` to `value`.
fn set(key: &str, value: Value) -> Update {
    Update::Set {
        key: key.to_owned(),
        token: format!("{key}={value}"),
        value,
    }
}

/// Whether the parameter at dotted `key` holds a list: by its declared type, or by its
/// default.
fn list_typed<E: Experiment>(key: &str, defaults: &Value) -> bool {
    let top = key.split('.').next().unwrap_or(key);
    let by_type = !key.contains('.')
        && E::INFO.params.iter().any(|p| {
            let ty = p.ty.trim();
            p.name == top
                && ["Vec<", "VecDeque<", "[", "(", "BTreeSet<", "HashSet<", "&["]
                    .iter()
                    .any(|start| ty.starts_with(start))
        });
    let by_default = key
        .split('.')
        .try_fold(defaults, |value, part| value.get(part))
        .is_some_and(Value::is_array);
    by_type || by_default
}

/// The sweep's seed: `seed=S` when given, else one derived from the updates as typed.
fn sweep_seed(updates: &[Update], fixed: &[Update]) -> u64 {
    let given = fixed.iter().find_map(|u| match u {
        Update::Set { key, value, .. } if key == SEED_KEY => value.as_u64(),
        _ => None,
    });
    given.unwrap_or_else(|| {
        let typed: Vec<&str> = updates.iter().map(Update::token).collect();
        seed_for(0, &format!("sweep:{}", typed.join(" ")))
    })
}

/// Runs or queues the points of the sweep of `updates`.
///
/// # Errors
/// A list that sweeps nothing, a point whose config is refused (checked for every point
/// before any runs), a child that cannot start, or runs that did not complete.
pub(crate) fn sweep<E: Experiment>(
    program: &str,
    updates: &[Update],
    flags: &Flags,
    env: &Env,
    logger: &Logger,
) -> Result<Outcome, Error> {
    if flags.id.is_some() {
        return Err(Error::usage(
            "`sweep` makes many runs: `-i/--id` cannot name them all".to_owned(),
        ));
    }
    let defaults = crate::config::defaults_object::<E>()?;
    let grid = Grid::new(updates, |key| list_typed::<E>(key, &defaults))?;
    let seed = sweep_seed(updates, &grid.fixed);
    let seed_swept = grid.axes.iter().any(|axis| axis.key == SEED_KEY);
    let seed_range = E::INFO.seed_max.clamp(1, MAX_SAFE_SEED);
    let sweep_id = format!(
        "{:014x}",
        crate::seed::draw_seed(MAX_SAFE_SEED).map_err(|e| Error::Entropy(e.to_string()))?
    );
    let indices = grid.indices(flags.random, seed);
    // Every point's config is checked before the first runs.
    let mut points = Vec::new();
    for &index in &indices {
        let point = grid.point(index);
        let mut point_updates: Vec<Update> = grid
            .fixed
            .iter()
            .filter(|u| !matches!(u, Update::Set { key, .. } if key == SEED_KEY))
            .cloned()
            .collect();
        point_updates.extend(point.iter().map(|(key, value)| set(key, value.clone())));
        if !seed_swept {
            let derived = 1 + seed_for(seed, &format!("sweep.point.{index}")) % seed_range;
            point_updates.push(set(SEED_KEY, json!(derived)));
        }
        let resolved = crate::config::resolve::<E>(&point_updates, flags.force, env)?;
        let values: Map<String, Value> = point.into_iter().collect();
        let meta = json!({ "sweep_id": sweep_id, "sweep_point": values });
        points.push((point_updates, resolved, meta));
    }
    logger.info(&format!(
        "Sweep {sweep_id}: {} run(s) of a grid of {}",
        points.len(),
        grid.size()
    ));
    if flags.queue {
        for (point_updates, (config, resolved), meta) in points {
            let request = Request {
                program,
                flags,
                updates: &point_updates,
                command: "main",
                meta: meta.as_object().cloned().unwrap_or_default(),
            };
            run_observed(config, resolved, &request, logger, env)?;
        }
        return Ok(Outcome::Done);
    }
    let jobs = usize::try_from(flags.jobs.unwrap_or(1)).unwrap_or(usize::MAX);
    let stop = Stop::catch(logger);
    let mut running = Vec::new();
    let mut failed = 0usize;
    let mut started = 0usize;
    let total = points.len();
    for (point_updates, _, meta) in points {
        while running.len() >= jobs && stop.signal().is_none() {
            failed += reap(&mut running, &stop)?;
        }
        if stop.signal().is_some() {
            break;
        }
        let mut child_args = vec!["with".to_owned()];
        child_args.extend(point_updates.iter().map(|u| u.token().to_owned()));
        child_args.extend(run_flags(flags));
        running.push(RunProcess::new(spawn_self(env, &child_args, Some(&meta))?));
        started += 1;
    }
    while !running.is_empty() {
        failed += reap(&mut running, &stop)?;
    }
    stop.leave_if_caught(logger, |signal| {
        format!("Sweep {sweep_id} stopped by {signal}: {started} of {total} run(s) started")
    });
    stop.release();
    if failed > 0 {
        return Err(Error::Io {
            action: "run the sweep".to_owned(),
            source: std::io::Error::other(format!("{failed} of {total} run(s) did not complete")),
        });
    }
    Ok(Outcome::Done)
}

/// Waits until one of the `running` processes ends, asking them to stop once `stop`
/// caught a signal; how many ended without success.
fn reap(running: &mut Vec<RunProcess>, stop: &Stop) -> Result<usize, Error> {
    loop {
        let mut failed = 0;
        let mut ended = false;
        let mut i = 0;
        while i < running.len() {
            match running[i].poll(stop)? {
                Some(status) => {
                    ended = true;
                    if !status.success() {
                        failed += 1;
                    }
                    running.swap_remove(i);
                }
                None => i += 1,
            }
        }
        if ended {
            return Ok(failed);
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(token: &str) -> Update {
        let (key, value) = token.split_once('=').unwrap_or((token, ""));
        Update::Set {
            key: key.to_owned(),
            value: crate::cli::parse_value(value),
            token: token.to_owned(),
        }
    }

    fn grid(tokens: &[&str], lists: &[&str]) -> Grid {
        let updates: Vec<Update> = tokens.iter().map(|t| update(t)).collect();
        Grid::new(&updates, |key| lists.contains(&key)).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_grid_varies_the_last_key_fastest() {
        let g = grid(
            &["lr=[0.1,0.01,0.001]", "batch_size=[16,32]", "steps=3"],
            &[],
        );
        assert_eq!(g.size(), 6);
        let points: Vec<Vec<(String, Value)>> = (0..6).map(|i| g.point(i)).collect();
        let pairs: Vec<(Value, Value)> = points
            .iter()
            .map(|p| (p[0].1.clone(), p[1].1.clone()))
            .collect();
        assert_eq!(
            pairs,
            [
                (json!(0.1), json!(16)),
                (json!(0.1), json!(32)),
                (json!(0.01), json!(16)),
                (json!(0.01), json!(32)),
                (json!(0.001), json!(16)),
                (json!(0.001), json!(32)),
            ]
        );
        assert_eq!(g.fixed.len(), 1);
    }

    #[test]
    fn list_parameters_sweep_lists_of_lists() {
        let g = grid(
            &["layers=[16,32]", "betas=[[0.9],[0.8]]"],
            &["layers", "betas"],
        );
        assert_eq!(g.size(), 2);
        assert_eq!(g.axes[0].key, "betas");
        assert_eq!(g.fixed, vec![update("layers=[16,32]")]);
        let g = grid(&["x=[[1,2]]"], &[]);
        assert_eq!(g.size(), 1);
        assert!(
            matches!(&g.fixed[0], Update::Set { value, .. } if *value == json!([1, 2])),
            "{g:?}"
        );
    }

    #[test]
    fn random_points_are_reproducible_and_distinct() {
        let g = grid(&["a=[1,2,3,4,5]", "b=[1,2,3,4]"], &[]);
        let first = g.indices(Some(7), 42);
        assert_eq!(first, g.indices(Some(7), 42));
        assert_ne!(first, g.indices(Some(7), 43));
        let mut unique = first.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 7);
        assert!(first.iter().all(|i| *i < 20));
        assert_eq!(g.indices(Some(25), 1).len(), 25);
        assert_eq!(g.indices(None, 1), (0..20).collect::<Vec<u64>>());
    }

    #[test]
    fn an_empty_list_sweeps_nothing() {
        let updates = vec![update("a=[]")];
        assert!(Grid::new(&updates, |_| false).is_err());
    }
}
