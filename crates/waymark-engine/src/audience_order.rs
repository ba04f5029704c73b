//! The order in which standalone audiences are evaluated at one instant: an audience that
//! reads another's membership (`member_of`) comes after it, so it sees that membership as
//! of the same instant rather than as of the user's previous evaluation.

/// Orders audiences `0..deps.len()` so that each comes after the audiences it depends on
/// (`deps[a]` lists them). Audiences on a cycle cannot be ordered: they come last, in index
/// order, and are returned as the second value (validation refuses such sets; the engine
/// still runs them, each seeing the others' previous membership).
pub(crate) fn evaluation_order(deps: &[Vec<usize>]) -> (Vec<usize>, Vec<usize>) {
    let n = deps.len();
    let mut waiting: Vec<usize> = deps
        .iter()
        .map(|d| d.iter().filter(|x| **x < n).count())
        .collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (a, d) in deps.iter().enumerate() {
        for &b in d.iter().filter(|b| **b < n) {
            users[b].push(a);
        }
    }
    let mut order = Vec::with_capacity(n);
    let mut ready: Vec<usize> = (0..n).rev().filter(|a| waiting[*a] == 0).collect();
    while let Some(a) = ready.pop() {
        order.push(a);
        for &u in users[a].iter().rev() {
            waiting[u] -= 1;
            if waiting[u] == 0 {
                ready.push(u);
            }
        }
    }
    let cyclic: Vec<usize> = (0..n).filter(|a| waiting[*a] > 0).collect();
    order.extend(&cyclic);
    (order, cyclic)
}

#[cfg(test)]
mod tests {
    use super::evaluation_order;

    #[test]
    fn dependencies_come_first() {
        let (order, cyclic) = evaluation_order(&[vec![2], vec![], vec![1]]);
        assert_eq!(order, vec![1, 2, 0]);
        assert!(cyclic.is_empty());
    }

    #[test]
    fn independent_audiences_keep_their_order() {
        let (order, cyclic) = evaluation_order(&[vec![], vec![], vec![]]);
        assert_eq!(order, vec![0, 1, 2]);
        assert!(cyclic.is_empty());
    }

    #[test]
    fn cycles_come_last_and_are_named() {
        let (order, cyclic) = evaluation_order(&[vec![1], vec![0], vec![], vec![3]]);
        assert_eq!(order, vec![2, 0, 1, 3]);
        assert_eq!(cyclic, vec![0, 1, 3]);
    }
}
