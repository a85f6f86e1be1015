#!/usr/bin/env bash
# The PrivateLink walkthrough with the real AWS CLI against plink: the
# provider (111111111111) publishes a backend behind an NLB as an endpoint
# service, the consumer (222222222222) finds it and connects, the provider
# accepts, and curl reaches the backend through the endpoint.
#
# Environment: AWS_ENDPOINT_URL (plink's API), BACKEND (ip:port of an HTTP
# backend), PORT (the listener port). Prints "ok" last when all went well.
set -euo pipefail
export AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=
as() { local acct=$1; shift; AWS_ACCESS_KEY_ID=$acct aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
P() { as 111111111111 "$@"; }
C() { as 222222222222 "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(P sts get-caller-identity --query Account --output text)" = 111111111111 ] || fail "provider identity"
[ "$(C sts get-caller-identity --query Account --output text)" = 222222222222 ] || fail "consumer identity"

# Provider: target group, NLB, listener, endpoint service, permission.
PVPC=$(P ec2 describe-vpcs --filters Name=is-default,Values=true --query 'Vpcs[0].VpcId' --output text)
PSUBNETS=$(P ec2 describe-subnets --filters "Name=vpc-id,Values=$PVPC" --query 'Subnets[].SubnetId' --output text)
TG=$(P elbv2 create-target-group --name cli-tg --protocol TCP --port 9 --vpc-id "$PVPC" --target-type ip \
  --query 'TargetGroups[0].TargetGroupArn' --output text)
P elbv2 register-targets --target-group-arn "$TG" --targets "Id=${BACKEND%:*},Port=${BACKEND##*:}"
# shellcheck disable=SC2086
NLB=$(P elbv2 create-load-balancer --name cli-nlb --type network --scheme internal --subnets $PSUBNETS \
  --query 'LoadBalancers[0].LoadBalancerArn' --output text)
P elbv2 create-listener --load-balancer-arn "$NLB" --protocol TCP --port "$PORT" \
  --default-actions "Type=forward,TargetGroupArn=$TG" >/dev/null
SVC=$(P ec2 create-vpc-endpoint-service-configuration --network-load-balancer-arns "$NLB" --acceptance-required \
  --tag-specifications 'ResourceType=vpc-endpoint-service,Tags=[{Key=team,Value=cli}]' \
  --query 'ServiceConfiguration.ServiceId' --output text)
SVCNAME=$(P ec2 describe-vpc-endpoint-service-configurations --service-ids "$SVC" \
  --query 'ServiceConfigurations[0].ServiceName' --output text)
[ "$(P ec2 describe-vpc-endpoint-service-configurations --filters Name=tag:team,Values=cli \
  --query 'ServiceConfigurations[0].ServiceId' --output text)" = "$SVC" ] || fail "tag filter"
P ec2 modify-vpc-endpoint-service-permissions --service-id "$SVC" \
  --add-allowed-principals arn:aws:iam::222222222222:root >/dev/null

# Consumer: find the service, a dry run, create the endpoint.
[ "$(C ec2 describe-vpc-endpoint-services --service-names "$SVCNAME" --query 'ServiceDetails[0].ServiceName' --output text)" = "$SVCNAME" ] \
  || fail "consumer does not see $SVCNAME"
CVPC=$(C ec2 describe-vpcs --filters Name=is-default,Values=true --query 'Vpcs[0].VpcId' --output text)
CSUBNETS=$(C ec2 describe-subnets --filters "Name=vpc-id,Values=$CVPC" --query 'Subnets[].SubnetId' --output text)
set +e
# shellcheck disable=SC2086
OUT=$(C ec2 create-vpc-endpoint --dry-run --vpc-endpoint-type Interface --vpc-id "$CVPC" --service-name "$SVCNAME" \
  --subnet-ids $CSUBNETS 2>&1)
RC=$?
set -e
[ $RC -eq 254 ] || fail "dry run exit $RC, want 254: $OUT"
case $OUT in *DryRunOperation*) ;; *) fail "dry run said: $OUT" ;; esac
# shellcheck disable=SC2086
EP=$(C ec2 create-vpc-endpoint --vpc-endpoint-type Interface --vpc-id "$CVPC" --service-name "$SVCNAME" \
  --subnet-ids $CSUBNETS --query 'VpcEndpoint.VpcEndpointId' --output text)
[ "$(C ec2 describe-vpc-endpoints --vpc-endpoint-ids "$EP" --query 'VpcEndpoints[0].State' --output text)" = pendingAcceptance ] \
  || fail "endpoint not pendingAcceptance"

# An expected error: exit 254 and the code on stderr.
set +e
OUT=$(C ec2 describe-vpc-endpoints --vpc-endpoint-ids vpce-0123456789abcdef0 2>&1)
RC=$?
set -e
[ $RC -eq 254 ] || fail "unknown endpoint: exit $RC, want 254: $OUT"
case $OUT in *InvalidVpcEndpointId.NotFound*) ;; *) fail "unknown endpoint said: $OUT" ;; esac

# Provider accepts.
P ec2 accept-vpc-endpoint-connections --service-id "$SVC" --vpc-endpoint-ids "$EP" \
  --query 'length(Unsuccessful)' --output text | grep -qx 0 || fail "accept"
for _ in $(seq 100); do
  STATE=$(C ec2 describe-vpc-endpoints --vpc-endpoint-ids "$EP" --query 'VpcEndpoints[0].State' --output text)
  [ "$STATE" = available ] && break
  sleep 0.1
done
[ "$STATE" = available ] || fail "endpoint $STATE, not available"

# Paging: six more endpoints, then --max-items/--page-size and NextToken.
FIRST=${CSUBNETS%%[[:space:]]*}
for _ in 1 2 3 4 5 6; do
  C ec2 create-vpc-endpoint --vpc-endpoint-type Interface --vpc-id "$CVPC" --service-name "$SVCNAME" \
    --subnet-ids "$FIRST" >/dev/null
done
# (--output text applies --query to each page: "5 2"; JSON to the whole.)
N=$(C ec2 describe-vpc-endpoints --page-size 5 --query 'length(VpcEndpoints)' --output json)
[ "$N" = 7 ] || fail "--page-size 5: $N endpoints, want 7"
[ "$(C ec2 describe-vpc-endpoints --page-size 5 --query 'length(VpcEndpoints)' --output text | tr '\n' ' ')" = "5 2 " ] \
  || fail "--page-size 5 --output text: not two pages of 5 and 2"
PAGE=$(C ec2 describe-vpc-endpoints --max-items 3 --output json)
[ "$(echo "$PAGE" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["VpcEndpoints"]))')" = 3 ] || fail "max-items 3"
TOKEN=$(echo "$PAGE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["NextToken"])')
REST=$(C ec2 describe-vpc-endpoints --starting-token "$TOKEN" --query 'length(VpcEndpoints)' --output text)
[ "$REST" = 4 ] || fail "starting-token: $REST endpoints after the first 3, want 4"

# Traffic: curl through the endpoint's network interfaces.
ENIS=$(C ec2 describe-vpc-endpoints --vpc-endpoint-ids "$EP" --query 'VpcEndpoints[0].NetworkInterfaceIds' --output text)
# shellcheck disable=SC2086
IPS=$(C ec2 describe-network-interfaces --network-interface-ids $ENIS --query 'NetworkInterfaces[].PrivateIpAddress' --output text)
[ -n "$IPS" ] || fail "no interface addresses"
for ip in $IPS; do
  BODY=$(curl -sS --max-time 5 --retry 20 --retry-delay 0 --retry-connrefused "http://$ip:$PORT/cli")
  echo "$BODY" | grep -Eq '"backend": *"cli-backend"' || fail "curl $ip:$PORT said: $BODY"
done
echo "endpoint $EP addresses $IPS"
echo ok
