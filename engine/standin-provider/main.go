// Command paif-standin-provider answers the Pulumi provider protocol for the packages whose real
// provider cannot be built on this project's machines (vsphere, harbor: their Go modules are not
// served by the module proxy, see docs/engine.md). It is a test double for the engine tier only:
// it never talks to vCenter or Harbor, it records what the engine sends.
//
// What it does, so that the engine's own behaviour around it is real:
//   - Check returns the inputs unchanged, Diff compares old and new inputs key by key,
//   - Create derives a stable ID from the URN and returns the inputs as outputs (secrets stay
//     secrets: the values are passed through untouched),
//   - Invoke (data sources such as vsphere.getDatacenter) returns an ID derived from the token
//     and arguments, and echoes the arguments,
//   - Delete succeeds, Read returns the stored state.
//
// It is started under the name pulumi-resource-<package> (a symlink); the package name is read
// from argv[0]. Set PAIF_STANDIN_FAIL_CREATE=<type token> to make Create of that type fail, for
// failure tests.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// version is what GetPluginInfo reports: the Python SDK pin of the package it stands in for, so
// the engine records the same provider version as it would with the real plugin.
var versions = map[string]string{"vsphere": "4.18.2", "harbor": "3.10.21"}

type standin struct {
	pulumirpc.UnimplementedResourceProviderServer
	name string
}

func packageName() string {
	base := filepath.Base(os.Args[0])
	return strings.TrimPrefix(base, "pulumi-resource-")
}

func stableID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "standin-" + hex.EncodeToString(sum[:8])
}

func (s *standin) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: versions[s.name]}, nil
}

func (s *standin) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":%q,"version":%q}`, s.name, versions[s.name])}, nil
}

func (s *standin) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (s *standin) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (s *standin) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{
		AcceptSecrets: true, SupportsPreview: true, AcceptResources: true, AcceptOutputs: true,
	}, nil
}

func (s *standin) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func changedKeys(olds, news *structpb.Struct) []string {
	keys := map[string]bool{}
	for k := range olds.GetFields() {
		keys[k] = true
	}
	for k := range news.GetFields() {
		keys[k] = true
	}
	var changed []string
	for k := range keys {
		if strings.HasPrefix(k, "__") {
			continue
		}
		if !proto.Equal(olds.GetFields()[k], news.GetFields()[k]) {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	return changed
}

func (s *standin) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds := req.GetOldInputs()
	if olds == nil {
		olds = req.GetOlds()
	}
	changed := changedKeys(olds, req.GetNews())
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed}, nil
}

func (s *standin) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if fail := os.Getenv("PAIF_STANDIN_FAIL_CREATE"); fail != "" && strings.Contains(req.GetUrn(), "::"+fail+"::") {
		return nil, fmt.Errorf("stand-in %s provider: create of %s refused (PAIF_STANDIN_FAIL_CREATE)", s.name, req.GetUrn())
	}
	return &pulumirpc.CreateResponse{Id: stableID(req.GetUrn()), Properties: req.GetProperties()}, nil
}

func (s *standin) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (s *standin) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	return &pulumirpc.UpdateResponse{Properties: req.GetNews()}, nil
}

func (s *standin) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (s *standin) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	args := req.GetArgs()
	var parts []string
	for k, v := range args.GetFields() {
		parts = append(parts, k+"="+v.String())
	}
	sort.Strings(parts)
	out := proto.Clone(args).(*structpb.Struct)
	if out == nil || out.Fields == nil {
		out = &structpb.Struct{Fields: map[string]*structpb.Value{}}
	}
	out.Fields["id"] = structpb.NewStringValue(stableID(append([]string{req.GetTok()}, parts...)...))
	return &pulumirpc.InvokeResponse{Return: out}, nil
}

func (s *standin) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func main() {
	name := packageName()
	if _, ok := versions[name]; !ok {
		cmdutil.ExitError(fmt.Sprintf("paif-standin-provider: started as %q; link it as pulumi-resource-vsphere or -harbor", os.Args[0]))
	}
	if err := provider.Main(name, func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &standin{name: name}, nil
	}); err != nil {
		cmdutil.ExitError(err.Error())
	}
}
