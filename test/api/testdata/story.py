"""The PrivateLink story with boto3 against plink, as application code runs it.

Environment: AWS_ENDPOINT_URL (plink's API), BACKEND (ip:port of an HTTP
backend), PORT (the listener port). Prints "ok" last when all went well.
"""
import json
import os
import time
import urllib.request

import boto3
import botocore.exceptions

URL = os.environ["AWS_ENDPOINT_URL"]
BACKEND_IP, BACKEND_PORT = os.environ["BACKEND"].rsplit(":", 1)
PORT = int(os.environ["PORT"])


def session(account):
    return boto3.session.Session(aws_access_key_id=account, aws_secret_access_key="x", region_name="us-east-1")


def clients(account):
    s = session(account)
    return (s.client("ec2", endpoint_url=URL), s.client("elbv2", endpoint_url=URL), s.client("sts", endpoint_url=URL))


def default_network(ec2):
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
    assert subnets, "no subnets in " + vpc
    return vpc, sorted(subnets)


def code(err):
    return err.response["Error"]["Code"]


p_ec2, p_elb, p_sts = clients("111111111111")
c_ec2, _, c_sts = clients("222222222222")
assert p_sts.get_caller_identity()["Account"] == "111111111111"
assert c_sts.get_caller_identity()["Account"] == "222222222222"

# Provider.
pvpc, psubs = default_network(p_ec2)
tg = p_elb.create_target_group(Name="py-tg", Protocol="TCP", Port=9, VpcId=pvpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
p_elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": BACKEND_IP, "Port": int(BACKEND_PORT)}])
nlb = p_elb.create_load_balancer(Name="py-nlb", Type="network", Scheme="internal", Subnets=psubs)["LoadBalancers"][0]["LoadBalancerArn"]
p_elb.create_listener(LoadBalancerArn=nlb, Protocol="TCP", Port=PORT, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
svc = p_ec2.create_vpc_endpoint_service_configuration(NetworkLoadBalancerArns=[nlb], AcceptanceRequired=True)["ServiceConfiguration"]
p_ec2.modify_vpc_endpoint_service_permissions(ServiceId=svc["ServiceId"], AddAllowedPrincipals=["arn:aws:iam::222222222222:root"])

# Consumer.
details = c_ec2.describe_vpc_endpoint_services(ServiceNames=[svc["ServiceName"]])["ServiceDetails"]
assert [d["ServiceName"] for d in details] == [svc["ServiceName"]], details
cvpc, csubs = default_network(c_ec2)
args = dict(VpcEndpointType="Interface", VpcId=cvpc, ServiceName=svc["ServiceName"], SubnetIds=csubs)
try:
    c_ec2.create_vpc_endpoint(DryRun=True, **args)
    raise AssertionError("dry run succeeded")
except botocore.exceptions.ClientError as e:
    assert code(e) == "DryRunOperation", e
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 412, e.response["ResponseMetadata"]
ep = c_ec2.create_vpc_endpoint(**args)["VpcEndpoint"]
assert ep["State"] == "pendingAcceptance", ep
try:
    c_ec2.describe_vpc_endpoints(VpcEndpointIds=["vpce-0123456789abcdef0"])
    raise AssertionError("an unknown endpoint was found")
except botocore.exceptions.ClientError as e:
    assert code(e) == "InvalidVpcEndpointId.NotFound", e

# Provider accepts; the consumer waits for available.
out = p_ec2.accept_vpc_endpoint_connections(ServiceId=svc["ServiceId"], VpcEndpointIds=[ep["VpcEndpointId"]])
assert not out.get("Unsuccessful"), out
for _ in range(100):
    ep = c_ec2.describe_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])["VpcEndpoints"][0]
    if ep["State"] == "available":
        break
    time.sleep(0.1)
assert ep["State"] == "available", ep

# Paging with boto3's paginator.
for _ in range(6):
    c_ec2.create_vpc_endpoint(**dict(args, SubnetIds=csubs[:1]))
pages = list(c_ec2.get_paginator("describe_vpc_endpoints").paginate(PaginationConfig={"PageSize": 5}))
ids = [e["VpcEndpointId"] for pg in pages for e in pg["VpcEndpoints"]]
assert len(pages) == 2 and len(ids) == 7 and len(set(ids)) == 7, (len(pages), ids)

# Traffic through the endpoint's network interfaces.
enis = c_ec2.describe_network_interfaces(NetworkInterfaceIds=ep["NetworkInterfaceIds"])["NetworkInterfaces"]
ips = [n["PrivateIpAddress"] for n in enis if n.get("PrivateIpAddress")]
assert ips, enis
for ip in ips:
    for attempt in range(50):
        try:
            body = json.load(urllib.request.urlopen("http://%s:%d/boto3" % (ip, PORT), timeout=5))
            break
        except OSError:
            if attempt == 49:
                raise
            time.sleep(0.1)
    assert body["backend"] == "boto3-backend" and body["path"] == "/boto3", body
print("endpoint", ep["VpcEndpointId"], "addresses", ips)
print("ok")
