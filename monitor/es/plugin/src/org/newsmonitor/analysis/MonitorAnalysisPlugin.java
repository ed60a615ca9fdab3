/*
 * news-monitor: the `cjk` and `english` analyzer types for the local node.
 *
 * The Elasticsearch 8 archive that Maven Central serves (integ-test-zip) ships without the
 * analysis-common module, which is where a full distribution defines these two analyzers. A full
 * distribution builds them from the same Lucene classes used here (both ship in the node's lib/),
 * with the same `stopwords` and `stem_exclusion` parameters, so an index created from our
 * template analyses text identically on this node and on any complete Elasticsearch 8 cluster.
 * This plugin is installed only on the local node that `monitor es start` runs.
 */
package org.newsmonitor.analysis;

import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.cjk.CJKAnalyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

public final class MonitorAnalysisPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        return Map.of("cjk", CjkProvider::new, "english", EnglishProvider::new);
    }

    /** Bigrams of CJK characters, width-folded and lower-cased; Lucene's CJKAnalyzer. */
    static final class CjkProvider extends AbstractIndexAnalyzerProvider<CJKAnalyzer> {
        private final CJKAnalyzer analyzer;

        CjkProvider(IndexSettings index, Environment env, String name, Settings settings) {
            super(name, settings);
            CharArraySet stop = Analysis.parseStopWords(env, settings, CJKAnalyzer.getDefaultStopSet());
            analyzer = new CJKAnalyzer(stop);
        }

        @Override
        public CJKAnalyzer get() {
            return analyzer;
        }
    }

    /** Possessive removal, lower-casing, English stop words and Porter stemming; Lucene's EnglishAnalyzer. */
    static final class EnglishProvider extends AbstractIndexAnalyzerProvider<EnglishAnalyzer> {
        private final EnglishAnalyzer analyzer;

        EnglishProvider(IndexSettings index, Environment env, String name, Settings settings) {
            super(name, settings);
            CharArraySet stop = Analysis.parseStopWords(env, settings, EnglishAnalyzer.getDefaultStopSet());
            CharArraySet keep = Analysis.parseStemExclusion(settings, CharArraySet.EMPTY_SET);
            analyzer = new EnglishAnalyzer(stop, keep);
        }

        @Override
        public EnglishAnalyzer get() {
            return analyzer;
        }
    }
}
