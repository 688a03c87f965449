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
        .map_err(|_| {
            format!("`{text}` is not an IPv4 CIDR: write a network address and a prefix length from /16 to /20")
        })?;
    // As written, not only as parsed: `10.00.0.0/16` would be read as octal by some tools.
    if net.to_string() != text {
        return Err(format!(
            "`{text}` is not written canonically: write `{net}`"
        ));
    }
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

/// The CPU architecture an AWS instance type runs, where its name tells: Graviton families
/// carry a `g` among their attributes (`m7g`, `c6gn`, `t4g`, `hpc7g`), as does `a1`; every
/// other family of the form series-generation-attributes (`m7i`, `t3a`, `g5`) is x86. `None`
/// for names of another form (`u-6tb1.metal`, `mac2.metal`), which are not checked.
pub fn instance_arch(instance_type: &str) -> Option<crate::model::Arch> {
    use crate::model::Arch;
    let family = instance_type.split('.').next()?;
    let series_end = family.find(|c: char| c.is_ascii_digit())?;
    let (series, rest) = family.split_at(series_end);
    let attributes = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let well_formed = !series.is_empty()
        && series != "mac"
        && series.chars().all(|c| c.is_ascii_lowercase())
        && attributes.chars().all(|c| c.is_ascii_lowercase());
    if !well_formed {
        return None;
    }
    Some(if attributes.contains('g') || family == "a1" {
        Arch::Arm64
    } else {
        Arch::Amd64
    })
}

/// The private address ranges of RFC 1918, where VPCs belong.
pub const PRIVATE: [&str; 3] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/// Refuses a range outside the private ranges: addresses there belong to someone on the
/// internet, and a VPC that uses them cannot reach those hosts.
pub fn require_private(net: Ipv4Net) -> Result<Ipv4Net, String> {
    let private = PRIVATE
        .iter()
        .map(|p| p.parse::<Ipv4Net>().expect("a valid CIDR"))
        .any(|p| p.contains(&net));
    if private {
        Ok(net)
    } else {
        Err(format!(
            "`{net}` is not a private range: VPCs use {} (RFC 1918); set [network] allow_public in platform.toml, with the reason, if these addresses are yours",
            PRIVATE.join(", ")
        ))
    }
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

/// The prefix of a pool's subnet in one zone.
const POOL_SUBNET_PREFIX: u8 = 24;
/// The prefix of the small infrastructure subnets (NAT and load balancers, Nstance).
const SERVICE_SUBNET_PREFIX: u8 = 28;

/// What a subnet is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubnetRole {
    /// Nodes of one pool.
    Pool(String),
    /// The public subnet of the NAT gateway and the network load balancers.
    Public,
    /// The Nstance server that scales the pools.
    Nstance,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub cidr: Ipv4Net,
    pub role: SubnetRole,
}

/// The subnets of one availability zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSubnets {
    /// The zone's name: the region and a letter, `eu-west-1a`.
    pub zone: String,
    pub subnets: Vec<Subnet>,
}

/// Lays out a cluster's subnets in its VPC: in each zone, a public /28 and an Nstance /28
/// (all of them in the VPC's first /24), and a /24 per pool. Pools are placed in the order
/// given, so adding a pool at the end moves no existing subnet.
pub fn plan_subnets(
    vpc: Ipv4Net,
    region: &str,
    zones: u8,
    pools: &[&str],
) -> Result<Vec<ZoneSubnets>, String> {
    let pool_blocks: Vec<Ipv4Net> = vpc
        .subnets(POOL_SUBNET_PREFIX)
        .map_err(|_| format!("VPC {vpc} is smaller than a /{POOL_SUBNET_PREFIX}"))?
        .collect();
    let needed = 1 + usize::from(zones) * pools.len();
    if needed > pool_blocks.len() {
        return Err(format!(
            "VPC {vpc} holds {} /{POOL_SUBNET_PREFIX} subnets, and {zones} zones of {} pools need {needed} (one more for the small subnets)",
            pool_blocks.len(),
            pools.len()
        ));
    }
    let service_blocks: Vec<Ipv4Net> = pool_blocks[0]
        .subnets(SERVICE_SUBNET_PREFIX)
        .expect("a /28 fits in a /24")
        .collect();
    Ok((0..usize::from(zones))
        .map(|z| {
            let letter = char::from(b'a' + u8::try_from(z).expect("at most 6 zones"));
            let mut subnets = vec![
                Subnet {
                    cidr: service_blocks[2 * z],
                    role: SubnetRole::Public,
                },
                Subnet {
                    cidr: service_blocks[2 * z + 1],
                    role: SubnetRole::Nstance,
                },
            ];
            subnets.extend(pools.iter().enumerate().map(|(p, pool)| Subnet {
                cidr: pool_blocks[1 + p * usize::from(zones) + z],
                role: SubnetRole::Pool((*pool).to_owned()),
            }));
            ZoneSubnets {
                zone: format!("{region}{letter}"),
                subnets,
            }
        })
        .collect())
}

/// `net` as written in a generated file, `10.0.16.0/24`: what its `Display` writes, with
/// itoa. A cluster config holds one per subnet, and formatting an address through
/// `Display` took more than writing the rest of its line.
pub fn cidr_text(net: Ipv4Net) -> String {
    let mut text = String::with_capacity(18);
    let mut digits = itoa::Buffer::new();
    for (i, octet) in net.addr().octets().into_iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        text.push_str(digits.format(octet));
    }
    text.push('/');
    text.push_str(digits.format(net.prefix_len()));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_lie_in_the_vpc_and_never_overlap() {
        let vpc = net("10.30.0.0/16");
        let plan = plan_subnets(
            vpc,
            "eu-west-1",
            3,
            &["control-plane", "ingress", "workers"],
        )
        .unwrap();
        assert_eq!(
            plan.iter().map(|z| z.zone.as_str()).collect::<Vec<_>>(),
            ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
        );
        let all: Vec<Ipv4Net> = plan
            .iter()
            .flat_map(|z| z.subnets.iter().map(|s| s.cidr))
            .collect();
        assert_eq!(all.len(), 3 * 5);
        assert!(all.iter().all(|s| vpc.contains(s) && s.trunc() == *s));
        assert!(overlapping_pairs(&all).is_empty());
        assert_eq!(
            plan[1].subnets[0],
            Subnet {
                cidr: net("10.30.0.32/28"),
                role: SubnetRole::Public
            }
        );
        assert_eq!(
            plan[2].subnets[3],
            Subnet {
                cidr: net("10.30.6.0/24"),
                role: SubnetRole::Pool("ingress".to_owned())
            }
        );
    }

    #[test]
    fn a_vpc_too_small_for_its_pools_is_refused() {
        let pools = ["control-plane", "ingress", "a", "b", "c", "d"];
        let err = plan_subnets(net("10.0.0.0/20"), "eu-west-1", 3, &pools).unwrap_err();
        assert!(
            err.contains("holds 16 /24 subnets") && err.contains("need 19"),
            "{err}"
        );
        assert!(plan_subnets(net("10.0.0.0/20"), "eu-west-1", 3, &pools[..5]).is_ok());
    }

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
        // Only as written: a leading zero, which some tools read as octal, is refused (as
        // the schema's pattern refuses it).
        assert_eq!(
            parse_vpc("10.00.0.0/16").unwrap_err(),
            "`10.00.0.0/16` is not written canonically: write `10.0.0.0/16`"
        );
        assert!(require_private(net("172.20.0.0/16")).is_ok());
        use crate::model::Arch;
        for (instance, arch) in [
            ("m7g.large", Some(Arch::Arm64)),
            ("c6gn.xlarge", Some(Arch::Arm64)),
            ("t4g.medium", Some(Arch::Arm64)),
            ("a1.large", Some(Arch::Arm64)),
            ("m7i.large", Some(Arch::Amd64)),
            ("t3a.small", Some(Arch::Amd64)),
            ("g5.xlarge", Some(Arch::Amd64)),
            ("mac2.metal", None),
            ("u-6tb1.metal", None),
        ] {
            assert_eq!(instance_arch(instance), arch, "{instance}");
        }
        assert!(require_private(net("192.168.0.0/16")).is_ok());
        assert!(require_private(net("8.8.0.0/16")).is_err());
        assert!(
            require_private(net("10.0.0.0/7")).is_err(),
            "reaches into 11.0.0.0/8"
        );
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

    #[test]
    fn a_cidr_is_written_as_its_display_writes_it() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..5_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let addr = std::net::Ipv4Addr::from((seed >> 16) as u32);
            let net = Ipv4Net::new(addr, (seed % 33) as u8).unwrap();
            assert_eq!(cidr_text(net), net.to_string());
        }
        for text in [
            "0.0.0.0/0",
            "10.0.0.0/20",
            "255.255.255.255/32",
            "10.100.7.0/24",
        ] {
            let net: Ipv4Net = text.parse().unwrap();
            assert_eq!(cidr_text(net), text);
        }
    }
}
