package main
import (
 _ "github.com/spf13/cobra"
 _ "github.com/spf13/viper"
 _ "modernc.org/sqlite"
 _ "github.com/olekukonko/tablewriter"
 _ "github.com/miekg/dns"
 _ "github.com/pires/go-proxyproto"
 _ "github.com/jmespath-community/go-jmespath"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "github.com/rogpeppe/go-internal/testscript"
 _ "sigs.k8s.io/yaml"
)
func main(){}
