// Command testapiserver is the upstream apiextensions-apiserver (the code that
// serves CustomResourceDefinitions and custom resources inside kube-apiserver)
// with the upstream webhook admission plugins of k8s.io/apiserver switched on.
//
// A real kube-apiserver cannot be built here, and apiextensions-apiserver on its
// own has no core API (namespaces) and no admissionregistration API
// (ValidatingWebhookConfiguration). The admission plugins only read those
// through a client-go clientset and its shared informers, so this program hands
// them an in-memory fake clientset seeded from a file (--admission-objects).
// Everything else (request handling, storage in etcd, watch, /status, the
// admission chain and the webhook dispatch) is the unmodified upstream code.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiextensions-apiserver/pkg/cmd/server"
	"k8s.io/apiextensions-apiserver/pkg/cmd/server/options"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle"
	mutatingadmissionpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/mutating"
	validatingadmissionpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	genericapiserver "k8s.io/apiserver/pkg/server"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/component-base/cli"
)

func main() {
	ctx := genericapiserver.SetupSignalContext()
	o := options.NewCustomResourceDefinitionsServerOptions(os.Stdout, os.Stderr)
	ro := o.RecommendedOptions

	// There is no core kube-apiserver to delegate to. Without these, startup
	// fails looking for an in-cluster config. Client certificates (--client-ca-file)
	// still authenticate, and the delegating authorizer still lets the
	// system:masters group do everything (and denies everybody else), as in
	// kube-apiserver.
	ro.Authentication.RemoteKubeConfigFileOptional = true
	ro.Authentication.SkipInClusterLookup = true
	ro.Authorization.RemoteKubeConfigFileOptional = true
	// API Priority and Fairness reads its configuration from the flowcontrol
	// API, which is absent; the plain max-in-flight limit is used instead.
	ro.Features.EnablePriorityAndFairness = false
	// CoreAPI would build a real clientset from --kubeconfig; we inject a fake
	// one below instead.
	ro.CoreAPI = nil

	// Admission is applied by hand (see ExtraAdmissionInitializers) because the
	// upstream RecommendedOptions.ApplyTo only passes it a clientset built from
	// CoreAPI. The webhook plugins stay on by default; the plugins that would
	// need more of the missing APIs start off (they can still be turned on
	// with --enable-admission-plugins, untested).
	admissionOptions := ro.Admission
	ro.Admission = nil
	admissionOptions.DefaultOffPlugins = sets.New(
		lifecycle.PluginName,                 // would reject every namespace not listed in the file
		validatingadmissionpolicy.PluginName, // policies/params would need discovery of real APIs
		mutatingadmissionpolicy.PluginName,
	)

	var admissionObjectsFile string
	ro.ExtraAdmissionInitializers = func(c *genericapiserver.RecommendedConfig) ([]admission.PluginInitializer, error) {
		// This hook runs inside RecommendedOptions.ApplyTo after authn/authz are
		// configured and before options.Config() reads SharedInformerFactory:
		// the one place to plug the fake clientset in without copying Config().
		objs, err := loadAdmissionObjects(admissionObjectsFile)
		if err != nil {
			return nil, err
		}
		client := fake.NewClientset(objs...)
		// Resync 0: the objects never change after startup.
		factory := informers.NewSharedInformerFactory(client, 0)
		// The generic server starts this factory in a post-start hook and
		// gates /readyz on its sync, as with a real core API.
		c.SharedInformerFactory = factory
		dynamicClient := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())
		if err := admissionOptions.ApplyTo(&c.Config, factory, client, dynamicClient,
			ro.FeatureGate, c.EffectiveVersion); err != nil {
			return nil, err
		}
		return nil, nil
	}

	cmd := &cobra.Command{
		Use:   "testapiserver",
		Short: "apiextensions-apiserver with webhook admission fed from a file",
		PersistentPreRunE: func(*cobra.Command, []string) error {
			return o.ServerRunOptions.ComponentGlobalsRegistry.Set()
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			errs := admissionOptions.Validate()
			if err := o.Validate(); err != nil {
				errs = append(errs, err)
			}
			if err := errors.Join(errs...); err != nil {
				return err
			}
			// Same Run as the upstream apiextensions-apiserver binary.
			return server.Run(c.Context(), o)
		},
	}
	cmd.SetContext(ctx)
	fs := cmd.Flags()
	o.AddFlags(fs)
	admissionOptions.AddFlags(fs)
	fs.StringVar(&admissionObjectsFile, "admission-objects", "",
		"YAML/JSON file (multi-document) with the core-API objects the admission plugins read: "+
			"ValidatingWebhookConfiguration, MutatingWebhookConfiguration, Namespace (with labels). "+
			"Read once at startup.")
	os.Exit(cli.Run(cmd))
}

// loadAdmissionObjects decodes every document of the file into typed client-go
// objects, applying the defaults kube-apiserver would apply on create.
func loadAdmissionObjects(path string) ([]runtime.Object, error) {
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, err
		}
	}
	var objs []runtime.Object
	declared := map[string]bool{}
	reader := yamlutil.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 1; ; i++ {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 || string(bytes.TrimSpace(doc)) == "null" {
			continue
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i, err)
		}
		if err := defaultAndCheck(obj); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i, err)
		}
		if ns, ok := obj.(*corev1.Namespace); ok {
			declared[ns.Name] = true
		}
		objs = append(objs, obj)
	}
	// kube-apiserver always has these namespaces; add the ones the file does
	// not declare, so that e.g. objects in "default" pass a namespaceSelector.
	for _, name := range []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease} {
		if !declared[name] {
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
			_ = defaultAndCheck(ns)
			objs = append(objs, ns)
		}
	}
	return objs, nil
}

// defaultAndCheck mirrors what kube-apiserver does when these objects are
// created through its API: the defaults of
// k8s.io/kubernetes/pkg/apis/admissionregistration/v1/defaults.go (not
// available here, hence the copy) and the namespace name label. It matters:
// e.g. a nil namespaceSelector would match nothing, where the API server's
// default {} matches everything. Only the few checks that would otherwise
// surface as confusing runtime failures are done; this is not full validation.
func defaultAndCheck(obj runtime.Object) error {
	switch o := obj.(type) {
	case *corev1.Namespace:
		if o.Labels == nil {
			o.Labels = map[string]string{}
		}
		o.Labels[corev1.LabelMetadataName] = o.Name
	case *admissionregistrationv1.ValidatingWebhookConfiguration:
		for i := range o.Webhooks {
			w := &o.Webhooks[i]
			defaultWebhook(&w.FailurePolicy, &w.MatchPolicy, &w.NamespaceSelector, &w.ObjectSelector, &w.TimeoutSeconds, w.Rules, &w.ClientConfig)
			if err := checkWebhook(o.Name, w.Name, w.SideEffects, w.AdmissionReviewVersions, w.ClientConfig); err != nil {
				return err
			}
		}
	case *admissionregistrationv1.MutatingWebhookConfiguration:
		for i := range o.Webhooks {
			w := &o.Webhooks[i]
			defaultWebhook(&w.FailurePolicy, &w.MatchPolicy, &w.NamespaceSelector, &w.ObjectSelector, &w.TimeoutSeconds, w.Rules, &w.ClientConfig)
			if w.ReinvocationPolicy == nil {
				p := admissionregistrationv1.NeverReinvocationPolicy
				w.ReinvocationPolicy = &p
			}
			if err := checkWebhook(o.Name, w.Name, w.SideEffects, w.AdmissionReviewVersions, w.ClientConfig); err != nil {
				return err
			}
		}
	}
	return nil
}

func defaultWebhook(failurePolicy **admissionregistrationv1.FailurePolicyType, matchPolicy **admissionregistrationv1.MatchPolicyType,
	nsSelector, objSelector **metav1.LabelSelector, timeout **int32,
	rules []admissionregistrationv1.RuleWithOperations, cc *admissionregistrationv1.WebhookClientConfig) {
	if *failurePolicy == nil {
		p := admissionregistrationv1.Fail
		*failurePolicy = &p
	}
	if *matchPolicy == nil {
		p := admissionregistrationv1.Equivalent
		*matchPolicy = &p
	}
	if *nsSelector == nil {
		*nsSelector = &metav1.LabelSelector{}
	}
	if *objSelector == nil {
		*objSelector = &metav1.LabelSelector{}
	}
	if *timeout == nil {
		t := int32(10)
		*timeout = &t
	}
	for i := range rules {
		if rules[i].Scope == nil {
			s := admissionregistrationv1.AllScopes
			rules[i].Scope = &s
		}
	}
	if cc.Service != nil && cc.Service.Port == nil {
		p := int32(443)
		cc.Service.Port = &p
	}
}

func checkWebhook(config, name string, sideEffects *admissionregistrationv1.SideEffectClass, versions []string, cc admissionregistrationv1.WebhookClientConfig) error {
	var errs []error
	if sideEffects == nil {
		errs = append(errs, fmt.Errorf("sideEffects is required"))
	}
	if len(versions) == 0 {
		errs = append(errs, fmt.Errorf("admissionReviewVersions is required"))
	}
	if (cc.URL == nil) == (cc.Service == nil) {
		errs = append(errs, fmt.Errorf("exactly one of clientConfig.url and clientConfig.service is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("webhook %q in %q: %w", name, config, err)
	}
	return nil
}
