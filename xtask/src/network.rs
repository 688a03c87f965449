//! VPC address ranges: parsing with the rules environments must satisfy, overlap, and
//! allocation of a free range for a new environment.

use ipnet::Ipv4Net;

/// The prefix every allocated VPC has: a /16, room for a /24 per pool per zone.
pub const VPC_PREFIX: u8 = 16;

/// Parses a VPC range written by hand: a canonical IPv4 CIDR from /16 (AWS's largest
/// VPC) to /20 (the smallest with room for the conventional subnets).
pub fn parse_vpc(text: &str) -> Result<Ipv4Net, String> {
    let net: Ipv4Net = text
        .parse()
        .map_err(|_| format!("`{text}` is not an IPv4 CIDR: write it as \"10.30.0.0/16\""))?;
    if net.trunc() != net {
        return Err(format!(
            "`{text}` has host bits set: the network is `{}`",
            net.trunc()
        ));
    }
    if !(VPC_PREFIX..=20).contains(&net.prefix_len()) {
        return Err(format!(
            "`{text}` is a /{}: a VPC must be from /16 to /20",
            net.prefix_len()
        ));
    }
    Ok(net)
}

pub fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// The lowest /16 of `range` that overlaps none of `taken`.
pub fn free_vpc(range: Ipv4Net, taken: &[Ipv4Net]) -> Option<Ipv4Net> {
    range
        .subnets(VPC_PREFIX.max(range.prefix_len()))
        .ok()?
        .find(|candidate| !taken.iter().any(|t| overlaps(candidate, t)))
}

/// Every pair of ranges that overlap, as indices into `nets`, found by one sweep over the
/// ranges in address order.
pub fn overlapping_pairs(nets: &[Ipv4Net]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..nets.len()).collect();
    order.sort_by_key(|&i| (nets[i].network(), nets[i].prefix_len()));
    let mut pairs = Vec::new();
    // The ranges still open at the sweep position; each later range that starts inside
    // one of them overlaps it.
    let mut open: Vec<usize> = Vec::new();
    for &i in &order {
        open.retain(|&j| nets[j].contains(&nets[i].network()));
        pairs.extend(open.iter().map(|&j| (j, i)));
        open.push(i);
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn vpcs_must_be_canonical_and_sized_for_subnets() {
        assert_eq!(parse_vpc("10.30.0.0/16").unwrap(), net("10.30.0.0/16"));
        assert!(
            parse_vpc("10.30.1.0/16")
                .unwrap_err()
                .contains("10.30.0.0/16")
        );
        assert!(parse_vpc("10.0.0.0/8").unwrap_err().contains("/16 to /20"));
        assert!(
            parse_vpc("10.30.0.0")
                .unwrap_err()
                .contains("not an IPv4 CIDR")
        );
    }

    #[test]
    fn allocation_takes_the_lowest_free_16() {
        let range = net("10.0.0.0/8");
        assert_eq!(free_vpc(range, &[]), Some(net("10.0.0.0/16")));
        let taken = [net("10.0.0.0/16"), net("10.1.128.0/20"), net("10.3.0.0/16")];
        assert_eq!(free_vpc(range, &taken), Some(net("10.2.0.0/16")));
        assert_eq!(free_vpc(net("10.0.0.0/16"), &taken), None);
    }

    #[test]
    fn overlapping_pairs_finds_equal_nested_and_only_those() {
        let nets = [
            net("10.20.0.0/16"),
            net("10.30.0.0/16"),
            net("10.20.0.0/16"),
            net("10.30.16.0/20"),
            net("10.40.0.0/16"),
        ];
        let mut pairs = overlapping_pairs(&nets);
        pairs.sort();
        assert_eq!(pairs, vec![(0, 2), (1, 3)]);
    }
}
