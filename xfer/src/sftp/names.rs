//! User and group names for `users-groups-by-id@openssh.com`, read from the host's
//! `/etc/passwd` and `/etc/group` (no NSS: this crate makes no C calls). An id without an
//! entry gets an empty name, as the extension specifies.

use std::collections::HashMap;

/// Names for `uids` from /etc/passwd, in order; empty where unknown.
pub fn user_names(uids: &[u32]) -> Vec<Vec<u8>> {
    names_from("/etc/passwd", uids)
}

/// Names for `gids` from /etc/group, in order; empty where unknown.
pub fn group_names(gids: &[u32]) -> Vec<Vec<u8>> {
    names_from("/etc/group", gids)
}

fn names_from(file: &str, ids: &[u32]) -> Vec<Vec<u8>> {
    if ids.is_empty() {
        return Vec::new();
    }
    let table = std::fs::read(file)
        .map(|text| parse(&text))
        .unwrap_or_default();
    ids.iter()
        .map(|id| table.get(id).cloned().unwrap_or_default())
        .collect()
}

/// `name:password:id:...` lines to id → name (the first entry for an id wins).
fn parse(text: &[u8]) -> HashMap<u32, Vec<u8>> {
    let mut map = HashMap::new();
    for line in text.split(|&b| b == b'\n') {
        let mut fields = line.split(|&b| b == b':');
        let (Some(name), Some(_), Some(id)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let Some(id) = std::str::from_utf8(id)
            .ok()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if !name.is_empty() {
            map.entry(id).or_insert_with(|| name.to_vec());
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_lines_map_ids_to_names() {
        let t = parse(b"root:x:0:0:root:/root:/bin/sh\nbad line\nu:x:notanumber:\nbob:x:1000:1000::/home/bob:/bin/sh\nbob2:x:1000:1:\n");
        assert_eq!(t.get(&0).unwrap(), b"root");
        assert_eq!(t.get(&1000).unwrap(), b"bob");
        assert_eq!(t.len(), 2);
        assert_eq!(user_names(&[0, 4_000_000_000])[1], b"");
    }
}
